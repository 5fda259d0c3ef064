/**
 * The merge patch: one transaction, run by psql in the live database, that puts the chosen rows back.
 * Everything it names of the system's is qualified (`OPERATOR(pg_catalog.=)`, `pg_catalog.text`),
 * a row is named by its primary key's own equality and by the key's text, and it runs with a
 * search_path fixed when it was planned, pg_catalog first.
 * It runs logged in as the role apps bind with, so a trigger of the tenant's runs with the tenant's own
 * powers, never a superuser's; it refuses any other session (a superuser's SET ROLE to it would not
 * do: a trigger could RESET ROLE). Every value is a quoted literal (standard_conforming_strings
 * on: a backslash is itself; in a SQL_ASCII database an E'' literal of its bytes' escapes, row-literals.ts),
 * every name a quoted identifier; a value's text is the server's own and is read back by its type's
 * input function, so it round-trips exactly. Each table is locked and guarded first (patch-guards.ts).
 */
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import type { ChangedRow } from './diff.js';
import { TEXT_SETTINGS } from './json-rows.js';
import { guard, pathOf, sessionGuard } from './patch-guards.js';
import { qualified, valueLiteral } from './row-literals.js';
import { textArray, type TableRow } from './table-rows.js';
import type { TableShape } from './table-shape.js';

export interface TablePatch {
  shape: TableShape;
  inserts: TableRow[];
  updates: ChangedRow[];
}

/**
 * The row's key (a key column is never NULL): each column compared by its primary key's own equality,
 * qualified, with its value cast to a qualified type (the key's index finds the row), and the key's
 * text compared as the plan read it, by pg_catalog's equality: an operator of the tenant's, chosen by
 * a search_path or standing in the key's operator class, can name no other row.
 */
function keyMatch(shape: TableShape, row: TableRow): string {
  const typed = (shape.keyEquality ?? []).map(
    ([schema, operator, type], i) =>
      `${sqlIdent(shape.key[i]!)} OPERATOR(${sqlIdent(schema)}.${operator}) ${valueLiteral(shape, row.key[i] ?? null)}::${type}`,
  );
  return [...typed, `${textArray(shape, shape.key)} OPERATOR(pg_catalog.=) ${sqlLiteral(row.keyText)}`].join(' AND ');
}

/** One INSERT of every row put back: its foreign keys are checked at its end, so rows of a table referencing each other go in any order. */
function insert(shape: TableShape, rows: readonly TableRow[]): string[] {
  const cols = shape.columns.map(sqlIdent).join(', ');
  const override = shape.identityAlways ? ' OVERRIDING SYSTEM VALUE' : '';
  const values = rows.map((r, i) => `  (${r.values.map((v) => valueLiteral(shape, v)).join(', ')})${i === rows.length - 1 ? ';' : ','}`);
  return [`INSERT INTO ${qualified(shape)} (${cols})${override} VALUES`, ...values];
}

/** An UPDATE of the columns whose values differ, back to the copy's. */
function update(shape: TableShape, change: ChangedRow): string {
  const set = shape.columns
    .map((c, i) => ({ c, copy: change.copy.values[i] ?? null, live: change.live.values[i] ?? null }))
    .filter((x) => x.copy !== x.live)
    .map((x) => `${sqlIdent(x.c)} = ${valueLiteral(shape, x.copy)}`);
  return `UPDATE ONLY ${qualified(shape)} SET ${set.join(', ')} WHERE ${keyMatch(shape, change.copy)};`;
}
/**
 * The patch's text: header comments (no tenant text in them), then one transaction writing the tables
 * in the order given (parents first); `deferred`: deferrable keys are checked at its commit.
 */
export function renderPatch(
  header: readonly string[],
  role: string,
  tables: readonly TablePatch[],
  deferred: boolean,
  searchPath: string,
): string {
  const lines = [
    ...header.map((h) => `-- ${h.replace(/[\r\n]+/g, ' ')}`),
    `SET client_encoding = 'UTF8';`,
    `SET standard_conforming_strings = on;`,
    'BEGIN;',
    sessionGuard(role),
    pathOf(searchPath),
    ...TEXT_SETTINGS.filter(([k]) => k !== 'standard_conforming_strings').map(([k, v]) => `SET LOCAL ${k} = '${v}';`),
    `SET LOCAL lock_timeout = '30s';`,
    ...(deferred ? ['SET CONSTRAINTS ALL DEFERRED;'] : []),
  ];
  for (const t of tables) {
    if (!t.inserts.length && !t.updates.length) continue;
    lines.push(
      '',
      `-- ${t.inserts.length} row(s) put back, ${t.updates.length} row(s) reverted`,
      `LOCK TABLE ONLY ${qualified(t.shape)} IN SHARE ROW EXCLUSIVE MODE;`,
      guard(t),
      ...(t.inserts.length ? insert(t.shape, t.inserts) : []),
      ...t.updates.map((u) => update(t.shape, u)),
    );
  }
  lines.push('', 'COMMIT;', '');
  return lines.join('\n');
}
