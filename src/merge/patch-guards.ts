/**
 * The patch's guards, each a DO block run before it writes: the session must be the apps' role's own
 * login, the search_path is fixed as it was planned (pg_catalog first), and each table, once locked
 * against other writers, must still lack the rows put back and hold the values of the rows reverted
 * as the plan saw them; otherwise the transaction raises and nothing is changed (run a second time,
 * the patch refuses itself).
 */
import { sqlLiteral } from '../core/sql-quote.js';
import type { ChangedRow } from './diff.js';
import { jsonText, qualified } from './row-literals.js';
import { textArray, type TableRow } from './table-rows.js';
import { tableName, type TableShape } from './table-shape.js';

/** `'[…]', '[…]'` as a text[] literal list. */
const textList = (texts: readonly string[]): string => `ARRAY[${texts.map(sqlLiteral).join(', ')}]::pg_catalog.text[]`;

/**
 * A DO block (a quoted literal: no tenant text can end it) that raises unless the rows to insert are
 * absent and the rows to revert hold the values the plan saw. The table's name reaches the message as
 * an argument of RAISE, never as its format.
 */
export function guard(t: { shape: TableShape; inserts: readonly TableRow[]; updates: readonly ChangedRow[] }): string {
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
export function sessionGuard(role: string): string {
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
export function pathOf(searchPath: string): string {
  const theirs = searchPath.trim() ? `, ${searchPath.trim()}` : '';
  return `SELECT pg_catalog.set_config('search_path', ${sqlLiteral(`pg_catalog${theirs}, pg_temp`)}, true);`;
}
