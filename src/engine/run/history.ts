/**
 * The instances created by runs that were abandoned, from their journals: a new run may adopt one
 * instead of creating another. The settings a journal holds are journaled-options.ts's.
 */
import type { JournalEvent } from '../journal/journal-events.js';
import type { AdoptableInstance } from '../executor/context.js';
import type { ActionRegistry, StepDef } from '../runbook/runbook.js';
import { loadRunbook } from '../runbook/runbook.js';
import { readJournal } from '../journal/journal.js';
import { JOURNAL_FILE, listRunIds } from './runs.js';
import { join } from 'node:path';

/** The ids of the steps that create a service instance; a for-each's sub-runbook steps as `FOR_EACH_ID//STEP_ID`. */
function creatingSteps(steps: readonly StepDef[]): Set<string> {
  const ids = new Set<string>();
  for (const s of steps) {
    if (s.action === 'cf.create-service') ids.add(s.id);
    for (const sub of s.forEach?.runbook.steps ?? []) if (sub.action === 'cf.create-service') ids.add(`${s.id}//${sub.id}`);
  }
  return ids;
}

/**
 * The instances the finished `cf.create-service` steps of an abandoned run created, in the order it
 * created them: one for a single recovery, one per item of a space's for-each.
 */
export function abandonedInstances(runId: string, events: JournalEvent[], actions: ActionRegistry): AdoptableInstance[] {
  const abandoned = [...events].reverse().find((e) => e.type === 'run.abandoned');
  const created = events.find((e) => e.type === 'run.created');
  if (abandoned?.type !== 'run.abandoned' || created?.type !== 'run.created') return [];
  let creating: Set<string>;
  try {
    creating = creatingSteps(loadRunbook(created.runbook.file, actions).steps);
  } catch {
    return [];
  }
  const found: AdoptableInstance[] = [];
  for (const e of events) {
    if (e.type !== 'step.finished') continue;
    // A for-each item's step is journaled as FOR_EACH_ID/KEY/STEP_ID.
    const id = e.step.replace(/^([^/]+)\/[^/]+\//, '$1//');
    const guid = e.outputs.instanceGuid;
    if (creating.has(id) && typeof guid === 'string' && guid && !found.some((f) => f.instanceGuid === guid)) {
      found.push({ runId, instanceGuid: guid, reason: abandoned.reason });
    }
  }
  return found;
}

/** Instances created by the abandoned runs of this state folder (a new run may adopt one). */
export function adoptableInstances(stateDir: string, self: string, actions: ActionRegistry): AdoptableInstance[] {
  const found: AdoptableInstance[] = [];
  for (const id of listRunIds(stateDir)) {
    if (id === self) continue;
    try {
      found.push(...abandonedInstances(id, readJournal(join(stateDir, 'runs', id, JOURNAL_FILE)), actions));
    } catch {
      // an unreadable run is listed by `dingo-recover runs`; it offers nothing to adopt
    }
  }
  return found;
}
