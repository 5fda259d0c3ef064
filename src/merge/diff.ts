/**
 * The difference between a table in the copy (as it was at the target) and in the live database,
 * row by row on the primary key:
 * - in the copy, not live: deleted since the target → put back (INSERT);
 * - in both, other values: changed since the target → back to the copy's values (UPDATE), sorted by
 *   what can be told of who changed it. Knowing the incident's transaction (the restore stopped just
 *   before it), a row whose live version that transaction wrote (its xmin) is a clean revert; one a
 *   later transaction wrote is a conflict: changed again after the incident, or only after it, which
 *   may be a good write. Without that transaction nothing tells them apart: every such row is for review;
 * - live, not in the copy: written since the target → left alone, counted.
 */
import type { TableRow } from './table-rows.js';

export interface ChangedRow {
  copy: TableRow;
  live: TableRow;
}

export interface TableDiff {
  inserts: TableRow[];
  /** Rows the incident's transaction wrote last: their copy values undo it. */
  reverts: ChangedRow[];
  /** Rows another transaction wrote since: reverting them may undo a good write. */
  conflicts: ChangedRow[];
  /** Rows changed since the target, when the incident's transaction is not known. */
  review: ChangedRow[];
  /** Rows written since the target (live only): left alone. */
  keptNew: number;
  unchanged: number;
}

/** The xmin a 32-bit transaction id shows as. */
const asXmin = (xid: string): string => String(BigInt(xid) % 2n ** 32n);

export function diffRows(copy: Map<string, TableRow>, live: Map<string, TableRow>, incidentXid?: string): TableDiff {
  const d: TableDiff = { inserts: [], reverts: [], conflicts: [], review: [], keptNew: 0, unchanged: 0 };
  const incident = incidentXid === undefined ? undefined : asXmin(incidentXid);
  for (const [key, c] of copy) {
    const l = live.get(key);
    if (!l) d.inserts.push(c);
    else if (l.valuesText === c.valuesText) d.unchanged += 1;
    else if (incident === undefined) d.review.push({ copy: c, live: l });
    else (l.xmin === incident ? d.reverts : d.conflicts).push({ copy: c, live: l });
  }
  for (const key of live.keys()) if (!copy.has(key)) d.keptNew += 1;
  return d;
}
