/**
 * The order a transcript lists steps in: the runbook's, each for-each step followed by its items'
 * steps, item by item (in the journaled item order), each item's steps in its sub-runbook's order.
 */
import type { JournalEvent } from '../journal/journal-events.js';
import type { Runbook, StepDef } from '../runbook/runbook.js';

export interface StepOrder {
  /** Step ids in order; ids the runbook does not know are added by the caller as they come. */
  ids: string[];
  /** The definition behind each id (item steps: the sub-runbook's step). */
  defs: Map<string, StepDef>;
}

/** Each for-each step's item keys, as its journaled params list them, then as its item steps' ids name them. */
function itemKeys(events: JournalEvent[], forEachId: string): string[] {
  const keys: string[] = [];
  const add = (k: unknown): void => {
    if (typeof k === 'string' && !keys.includes(k)) keys.push(k);
  };
  for (const e of events) {
    if (e.type === 'step.started' && e.step === forEachId && Array.isArray(e.params.keys)) e.params.keys.forEach(add);
    if ('step' in e && typeof e.step === 'string' && e.step.startsWith(`${forEachId}/`)) add(e.step.split('/')[1]);
  }
  return keys;
}

export function stepOrder(runbook: Runbook | null, events: JournalEvent[]): StepOrder {
  const ids: string[] = [];
  const defs = new Map<string, StepDef>();
  for (const step of runbook?.steps ?? []) {
    ids.push(step.id);
    defs.set(step.id, step);
    if (!step.forEach) continue;
    for (const key of itemKeys(events, step.id)) {
      for (const sub of step.forEach.runbook.steps) {
        const id = `${step.id}/${key}/${sub.id}`;
        ids.push(id);
        defs.set(id, sub);
      }
    }
  }
  return { ids, defs };
}
