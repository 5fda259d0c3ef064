/**
 * The merge patch: one transaction, run by psql in the live database, that puts the chosen rows back.
 * Everything it names of the system's is qualified (`OPERATOR(pg_catalog.=)`, `pg_catalog.text`),
 * a row is named by its primary key's own equality and by the key's text, and it runs with a
 * search_path fixed when it was planned, pg_catalog first.
 * It runs logged in as the role apps bind with, so a trigger of the tenant's runs with the tenant's own
 * powers, never a superuser's; it refuses any other session (a superuser's SET ROLE to it would not
 * do: a trigger could RESET ROLE). Every value is a quoted literal (standard_conforming_strings
 * on: a backslash is itself; in a SQL_ASCII database an E'' literal of its bytes' escapes, table-rows.ts),
 * every name a quoted identifier; a value's text is the server's own and is read back by its type's
 * input function, so it round-trips exactly.
 *
 * Before writing, each table is locked against other writers and guarded: the rows it puts back must
 * still be absent and the rows it reverts must still hold the values the plan saw. Otherwise the
 * transaction raises an exception and nothing is changed: run a second time, the patch refuses itself.
 */
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import type { ChangedRow } from './diff.js';
import { TEXT_SETTINGS } from './json-rows.js';
import { jsonText, qualified, textArray, valueLiteral, type TableRow } from './table-rows.js';
import { tableName, type TableShape } from './table-shape.js';

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

/** `'[…]', '[…]'` as a text[] literal list. */
const textList = (texts: readonly string[]): string => `ARRAY[${texts.map(sqlLiteral).join(', ')}]::pg_catalog.text[]`;

/**
 * A DO block (a quoted literal: no tenant text can end it) that raises unless the rows to insert are
 * absent and the rows to revert hold the values the plan saw. The table's name reaches the message as
 * an argument of RAISE, never as its format.
 */
function guard(t: TablePatch): string {
  const from = `FROM ONLY ${qualified(t.shape)}`;
  const checks: string[] = [];
  if (t.inserts.length) {
    checks.push(
      `SELECT pg_catalog.count(*) INTO n ${from} WHERE ${textArray(t.shape, t.shape.key)} OPERATOR(pg_catalog.=) ANY (${textList(t.inserts.map((r) => r.keyText))});`,
      `IF n OPERATOR(pg_catalog.<>) 0 THEN RAISE EXCEPTION 'dingo-recover merge refused: % of the % row(s) of % it puts back are in the table already (the patch was applied, or they were written since the plan); nothing was changed', n, ${t.inserts.length}, ${sqlLiteral(tableName(t.shape))}; END IF;`,
    );
  }
  if (t.updates.length) {
    checks.push(
      `SELECT pg_catalog.count(*) INTO n ${from} WHERE ${textArray(t.shape, t.shape.columns)} OPERATOR(pg_catalog.=) ANY (${textList(t.updates.map((u) => jsonText(u.live.values)))});`,
      `IF n OPERATOR(pg_catalog.<>) ${t.updates.length} THEN RAISE EXCEPTION 'dingo-recover merge refused: only % of the % row(s) of % it reverts hold the values the plan saw (the patch was applied, or they changed since the plan); nothing was changed', n, ${t.updates.length}, ${sqlLiteral(tableName(t.shape))}; END IF;`,
    );
  }
  return `DO ${sqlLiteral(`DECLARE n pg_catalog.int8; BEGIN ${checks.join(' ')} END`)};`;
}

/**
 * A DO block that refuses unless the session is the role's own login: in a superuser's, SET ROLE or not,
 * a trigger of the tenant's could take the superuser's powers.
 */
function sessionGuard(role: string): string {
  const refuse = `RAISE EXCEPTION 'dingo-recover merge refused: the patch runs logged in as %, the role apps bind with, not as %; nothing was changed', ${sqlLiteral(role)}, session_user;`;
  return `DO ${sqlLiteral(`BEGIN IF session_user OPERATOR(pg_catalog.<>) ${sqlLiteral(role)} THEN ${refuse} END IF; END`)};`;
}

/**
 * The search_path the patch runs with, fixed when it was planned: pg_catalog first, so no function,
 * operator or type of the tenant's stands in for a system one in what the patch or their triggers
 * write, then the role's own schemas as it had them (`searchPath`, its setting then), which the
 * tenant's triggers were written for, and pg_temp last. Set with set_config from a literal: the
 * setting's text is the tenant's, and never read as SQL.
 */
function pathOf(searchPath: string): string {
  const theirs = searchPath.trim() ? `, ${searchPath.trim()}` : '';
  return `SELECT pg_catalog.set_config('search_path', ${sqlLiteral(`pg_catalog${theirs}, pg_temp`)}, true);`;
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
