/**
 * What a run's journal says beyond step states: the settings in force after every change a resume
 * made, and the instances created by runs that were abandoned (which a new run may adopt).
 */
import type { JournalEvent } from '../journal/journal-events.js';
import type { AdoptableInstance } from '../executor/context.js';
import type { ActionRegistry, StepDef } from '../runbook/runbook.js';
import { loadRunbook } from '../runbook/runbook.js';
import { isRecord } from '../../core/json.js';
import { readJournal } from '../journal/journal.js';
import { JOURNAL_FILE, listRunIds } from './runs.js';
import { join } from 'node:path';

/** The run's settings and live options: the created ones, then every journaled change. */
export function journaledOptions(events: JournalEvent[]): { settings: Record<string, unknown>; live: Record<string, unknown> } {
  const created = events.find((e) => e.type === 'run.created');
  const options = created?.type === 'run.created' ? created.options : {};
  const settings = { ...(isRecord(options.settings) ? options.settings : {}) };
  const live = structuredClone(isRecord(options.live) ? options.live : {});
  const result = { settings, live };
  for (const e of events) if (e.type === 'settings.changed') applyChanges(result, e.changes);
  return result;
}

/** Applies `{key: {from, to}}` changes (keys `live.a.b` for live options) in place. */
export function applyChanges(
  options: { settings: Record<string, unknown>; live: Record<string, unknown> },
  changes: Record<string, { to: unknown }>,
): void {
  for (const [key, change] of Object.entries(changes)) {
    if (key.startsWith('live.')) setPath(options.live, key.slice(5).split('.'), change.to);
    else options.settings[key] = change.to;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    const child = isRecord(next) ? next : {};
    node[part] = child;
    node = child;
  }
  node[path[path.length - 1]!] = value;
}

function flatten(prefix: string, value: unknown, out: Record<string, unknown>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else if (value !== undefined) {
    out[prefix] = value;
  }
}

/** The settings a resume was given that differ from the journaled ones, as `{key: {from, to}}`. */
export function changedOptions(
  was: { settings: Record<string, unknown>; live: Record<string, unknown> },
  given: { settings: object; live?: object },
): Record<string, { from: unknown; to: unknown }> {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  flatten('', was.settings, before);
  flatten('live', was.live, before);
  flatten('', given.settings, after);
  flatten('live', given.live ?? {}, after);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(to)) changes[key] = { from: before[key] ?? null, to };
  }
  return changes;
}

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
