/**
 * Where the live database stands against a patch: still as the plan saw it (the patch may run), as the
 * patch leaves it (it ran: never again), or neither (something changed the rows since: refused). What
 * the patch expects is kept beside it (its "expect" file) as the rows' values in JSON, as the server's
 * json_build_array writes them (table-rows.ts, jsonText); the live rows are read again.
 */
import type { QueryLines } from '../systems/pg-query.js';
import type { MergePlan } from './plan.js';
import { jsonText } from './row-literals.js';
import { rowsByKey, valuesOf } from './table-rows.js';
import { tableName, type TableShape } from './table-shape.js';

export interface Expected {
  shape: TableShape;
  /** Rows put back: absent before, these values after. */
  inserts: { key: string; after: string }[];
  /** Rows reverted: the live values before, the copy's after. */
  updates: { key: string; before: string; after: string }[];
}

export function expectedOf(plan: MergePlan): Expected[] {
  return plan.tables.map(({ patch }) => ({
    shape: patch.shape,
    inserts: patch.inserts.map((r) => ({ key: r.keyText, after: jsonText(r.values) })),
    updates: patch.updates.map((u) => ({ key: u.copy.keyText, before: jsonText(u.live.values), after: jsonText(u.copy.values) })),
  }));
}

export type PatchState = { state: 'before' } | { state: 'applied' } | { state: 'moved'; rows: string[] };

/** The live values of the rows the patch touches, by key (undefined: absent), read through the table's rows as a stream. */
async function liveValues(live: QueryLines, db: string, t: Expected): Promise<Map<string, string | undefined>> {
  const now = new Map<string, string | undefined>([...t.inserts, ...t.updates].map((r) => [r.key, undefined]));
  for await (const rows of rowsByKey(live, db, t.shape))
    for (const row of rows) if (now.has(row.keyText)) now.set(row.keyText, jsonText(valuesOf(row.valuesText)));
  return now;
}

/** Reads the live rows the patch touches and says where they stand. */
export async function patchState(live: QueryLines, db: string, expected: readonly Expected[]): Promise<PatchState> {
  let before = 0;
  let after = 0;
  const moved: string[] = [];
  for (const t of expected) {
    const rows = await liveValues(live, db, t);
    const name = tableName(t.shape);
    for (const r of t.inserts) {
      const now = rows.get(r.key);
      if (now === undefined) before += 1;
      else if (now === r.after) after += 1;
      else moved.push(`${name} ${r.key}: written since the plan`);
    }
    for (const u of t.updates) {
      const now = rows.get(u.key);
      if (now === u.before) before += 1;
      else if (now === u.after) after += 1;
      else moved.push(`${name} ${u.key}: ${now === undefined ? 'deleted' : 'changed'} since the plan`);
    }
  }
  if (moved.length) return { state: 'moved', rows: moved };
  if (after > 0 && before === 0) return { state: 'applied' };
  if (before > 0 && after === 0) return { state: 'before' };
  if (before === 0) return { state: 'before' };
  return { state: 'moved', rows: [`${after} row(s) already as the patch leaves them, ${before} still as the plan saw them`] };
}
