/**
 * Planning a merge back: for each named table, the copy (restored to the target) and the live
 * database are read and compared on the primary key (diff.ts), the tables put parents first by the
 * live foreign keys (foreign-keys.ts, table-order.ts), the rows to write are chosen, and the patch is
 * rendered (patch.ts). Nothing is written to either database.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { Query, QueryLines } from '../systems/pg-query.js';
import { diffStreams, type ChangedRow, type TableDiff } from './diff.js';
import { renderPatch, type TablePatch } from './patch.js';
import { rowsByKey, type TableRow } from './table-rows.js';
import { amongTables, changedWithParent, readForeignKeys, type ForeignKey } from './foreign-keys.js';
import { parentsFirst } from './table-order.js';
import { checkPatchLanguage } from './patch-language.js';
import { jsonRows } from './json-rows.js';
import { checkSameShape, readShape, tableName, type TableShape } from './table-shape.js';

/** Which changed rows the patch reverts: proven reverts only (the default), every one, or none. */
export const UPDATE_CHOICES = ['safe', 'all', 'inserts-only'] as const;
export type UpdateChoice = (typeof UPDATE_CHOICES)[number];

/** A server the merge reads: the catalog's small answers whole, a table's rows as a stream. */
export interface MergeSide {
  query: Query;
  lines: QueryLines;
}

export interface MergeRequest {
  database: string;
  tables: readonly string[];
  /** The incident's transaction, when the copy stops just before it (the target excludes it). */
  incidentXid?: string;
}

interface TableMerge {
  table: string;
  diff: TableDiff;
  patch: TablePatch;
}

export interface MergePlan {
  tables: TableMerge[];
  sql: string;
  sha256: string;
  inserts: number;
  updates: number;
}

/** The tables' differences, before the operator chose which changed rows go back. */
export interface TableDiffs {
  /** Parents before children (the live database's foreign keys among the tables named). */
  tables: { table: string; shape: TableShape; diff: TableDiff }[];
  /** Some tables reference each other in a cycle of deferrable keys: checked at the patch's commit. */
  deferred: boolean;
  /** The search_path the live role's sessions start with (its own setting, or its database's): the patch puts pg_catalog before it. */
  searchPath: string;
  /** The foreign keys of tables not named whose rows a delete in a named table deletes or changes with it. */
  unnamedChildren: ForeignKey[];
}

/**
 * Reads both sides and compares them, parents first, each table's rows streamed from both at once; refuses a table named twice, absent, of another
 * shape or without a primary key, a live database where the patch's role cannot run PL/pgSQL, and tables in a cycle of keys that are not all deferrable.
 */
export async function diffTables(copy: MergeSide, live: MergeSide, r: MergeRequest): Promise<TableDiffs> {
  if (!r.tables.length) throw new UsageError('no table named to merge back', { hint: 'list them in inputs.merge (schema.table)' });
  const twice = r.tables.filter((t, i) => r.tables.indexOf(t) !== i);
  if (twice.length) throw new UsageError(`${twice[0]!} is named twice in inputs.merge`, { hint: 'name each table once' });
  const shapes: TableShape[] = [];
  for (const name of r.tables) {
    const shape = await readShape(copy.query, r.database, name, 'the copy');
    const liveShape = await readShape(live.query, r.database, name, 'the live database');
    checkSameShape(shape, liveShape);
    // The patch runs in the live database: its rows are named with the live key's equality.
    shapes.push({ ...shape, keyEquality: liveShape.keyEquality });
  }
  await checkPatchLanguage(live.query, r.database);
  const names = shapes.map(tableName);
  const keys = await readForeignKeys(live.query, r.database, names);
  const order = parentsFirst(names, amongTables(keys, names));
  const tables: TableDiffs['tables'] = [];
  for (const shape of order.tables.map((t) => shapes[names.indexOf(t)]!)) {
    const table = tableName(shape);
    const rows = (side: MergeSide) => rowsByKey(side.lines, r.database, shape);
    tables.push({ table, shape, diff: await diffStreams(rows(copy), rows(live), r.incidentXid, table) });
  }
  return {
    tables,
    deferred: order.deferred,
    searchPath: await startingSearchPath(live.query, r.database),
    unnamedChildren: changedWithParent(keys, names),
  };
}

/** The search_path the live role's sessions start with, before ours set it: pg_settings' reset value. */
async function startingSearchPath(live: Query, database: string): Promise<string> {
  const [row] = await jsonRows(
    live,
    database,
    `select pg_catalog.json_build_array(reset_val)::pg_catalog.text from pg_catalog.pg_settings where name operator(pg_catalog.=) 'search_path'`,
  );
  return typeof row?.[0] === 'string' ? row[0] : '';
}

/** Changed rows no transaction id settles: conflicts, and rows for review. */
export const undecided = (diffs: TableDiffs): number =>
  diffs.tables.reduce((n, t) => n + t.diff.conflicts.length + t.diff.review.length, 0);

function chosen(d: TableDiff, updates: UpdateChoice): ChangedRow[] {
  if (updates === 'inserts-only') return [];
  if (updates === 'safe') return d.reverts;
  return [...d.reverts, ...d.conflicts, ...d.review];
}

/** The patch of the rows chosen, run as `role`, `header` its first comment lines. */
export function choosePatch(diffs: TableDiffs, updates: UpdateChoice, role: string, header: readonly string[]): MergePlan {
  const tables = diffs.tables.map((t) => ({
    table: t.table,
    diff: t.diff,
    patch: { shape: t.shape, inserts: t.diff.inserts, updates: chosen(t.diff, updates) },
  }));
  const sql = renderPatch(
    header,
    role,
    tables.map((t) => t.patch),
    diffs.deferred,
    diffs.searchPath,
  );
  return {
    tables,
    sql,
    sha256: createHash('sha256').update(sql).digest('hex'),
    inserts: tables.reduce((n, t) => n + t.patch.inserts.length, 0),
    updates: tables.reduce((n, t) => n + t.patch.updates.length, 0),
  };
}

/** The first few keys of some rows, for the screen. */
function firstKeys(rows: readonly TableRow[], max = 3): string {
  const shown = rows.slice(0, max).map((r) => r.keyText);
  return `${shown.join(', ')}${rows.length > max ? `, … (${rows.length - max} more)` : ''}`;
}

/** A value for the screen: NULL as such, a long one cut (the patch file holds it whole). */
const shownValue = (v: string | null): string =>
  v === null ? 'NULL' : v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);

/** The first few changed rows, each its key and the columns that differ: what it is now, what it was at the target. */
function firstChanges(columns: readonly string[], rows: readonly ChangedRow[], max = 3): string {
  const shown = rows.slice(0, max).map((r) => {
    const changed = columns.flatMap((c, i) => {
      const [now, then] = [r.live.values[i] ?? null, r.copy.values[i] ?? null];
      return now === then ? [] : [`${c} ${shownValue(now)} now, ${shownValue(then)} then`];
    });
    return `${r.live.keyText} (${changed.join(', ')})`;
  });
  return `${shown.join(', ')}${rows.length > max ? `, … (${rows.length - max} more)` : ''}`;
}

/** One line per table: each kind of difference with its first keys (a changed row's columns too), and what is left alone. */
export function describeDiff(t: { table: string; shape: TableShape; diff: TableDiff }): string {
  const { diff } = t;
  const changed: [string, ChangedRow[]][] = [
    ['changed by the incident', diff.reverts],
    ['conflict(s): changed since by another transaction', diff.conflicts],
    ['changed since, by a transaction not known', diff.review],
  ];
  const parts = [
    ...(diff.inserts.length ? [`${diff.inserts.length} deleted since: ${firstKeys(diff.inserts)}`] : []),
    ...changed.filter(([, rows]) => rows.length).map(([what, rows]) => `${rows.length} ${what}: ${firstChanges(t.shape.columns, rows)}`),
    ...(diff.byIncident.length ? [byIncidentPart(diff)] : []),
    `${diff.keptNew} written since (left alone)`,
    `${diff.unchanged} unchanged`,
  ];
  return `${t.table}: ${parts.join('; ')}`;
}

/** The rows the incident's own transaction wrote that the copy does not hold: the patch leaves them, never deleting. */
function byIncidentPart(diff: TableDiff): string {
  return `${diff.byIncident.length} written by the incident itself, not in the copy (left alone, as the patch deletes nothing: a row whose key the incident changed stays beside the one put back under its old key; remove them by hand once checked): ${firstKeys(diff.byIncident)}`;
}

/** The changed rows a table's patch does not revert. */
function leftRows(t: TableMerge): ChangedRow[] {
  const reverted = new Set(t.patch.updates);
  return [...t.diff.reverts, ...t.diff.conflicts, ...t.diff.review].filter((r) => !reverted.has(r));
}

/** Per table, what the patch does: the rows it puts back, the rows it reverts, the changed rows it leaves as they are. */
export function describePatch(merge: MergePlan): string[] {
  return merge.tables.map((t) => {
    const left = leftRows(t);
    const columns = t.patch.shape.columns;
    const parts = [
      `puts back ${t.patch.inserts.length}${t.patch.inserts.length ? ` (${firstKeys(t.patch.inserts)})` : ''}`,
      `reverts ${t.patch.updates.length}${t.patch.updates.length ? ` (${firstChanges(columns, t.patch.updates)})` : ''}`,
      `leaves ${left.length} changed since as they are${left.length ? ` (${firstChanges(columns, left)})` : ''}`,
      ...(t.diff.byIncident.length ? [byIncidentPart(t.diff)] : []),
      `${t.diff.keptNew} written since left alone`,
    ];
    return `${t.table}: ${parts.join('; ')}`;
  });
}

/**
 * Per table, the changed rows the patch leaves as they are, and the rows the incident wrote that it
 * leaves (none: an empty list): for the report and what is left.
 */
export function leftAsTheyAre(merge: MergePlan): string[] {
  return merge.tables.flatMap((t) => {
    const left = leftRows(t);
    const incident = t.diff.byIncident;
    return [
      ...(left.length ? [`${t.table}: ${left.length} row(s): ${firstChanges(t.patch.shape.columns, left, 5)}`] : []),
      ...(incident.length
        ? [
            `${t.table}: ${incident.length} row(s) the incident wrote, not in the copy, to remove by hand once checked: ${firstKeys(incident, 5)}`,
          ]
        : []),
    ];
  });
}

/** The order the patch writes the tables in, and why when it is not the order they were named in. */
export function describeOrder(named: readonly string[], diffs: TableDiffs): string {
  const order = diffs.tables.map((t) => t.table);
  const why = diffs.deferred
    ? ', some referencing each other: their deferrable foreign keys are checked at the commit'
    : order.join() === named.map((n) => n.trim()).join()
      ? ''
      : ' (parents before the tables whose foreign keys reference them)';
  return `the patch writes ${order.join(', ')} in this order${why}`;
}

/**
 * The tables not named whose rows went with the rows put back: a delete in a named table deleted or
 * changed them through their foreign key (ON DELETE CASCADE, SET NULL, SET DEFAULT), and the patch,
 * writing only the tables named, does not put them back. One line per key, for the screen and the report.
 */
export function missedChildren(diffs: TableDiffs): string[] {
  return diffs.unnamedChildren.flatMap((k) => {
    const deleted = diffs.tables.find((t) => t.table === k.parent)?.diff.inserts.length ?? 0;
    if (!deleted) return [];
    const what =
      k.onDelete === 'cascade'
        ? `its rows that referenced them were deleted with them (${k.name}: ON DELETE CASCADE) and are not put back`
        : `its rows that referenced them had their reference ${k.onDelete === 'set null' ? 'set to NULL' : 'set to its default'} (${k.name}: ON DELETE ${k.onDelete.toUpperCase()}) and are not reverted`;
    return [
      `${k.child} is not merged: ${deleted} row(s) of ${k.parent} deleted since are put back, but ${what}; name ${k.child} in inputs.merge too (a new run) to bring them back`,
    ];
  });
}
