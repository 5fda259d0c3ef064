/**
 * The patch guards its rows in a DO block (patch.ts), which is PL/pgSQL, run as the role apps bind
 * with: a live database whose tenant dropped the language, or revoked it from PUBLIC, would refuse the
 * patch only when the operator applies it, on PostgreSQL's bare "permission denied for language
 * plpgsql". It is asked first, in plain SQL, as that role.
 */
import { StepFailed } from '../core/errors.js';
import type { Query } from '../systems/pg-query.js';

/** Whether this session may run PL/pgSQL (`t` or `f`; one column, as every side reads): has_language_privilege fails on a language not there. */
const PLPGSQL = `select case when exists (select from pg_catalog.pg_language where lanname operator(pg_catalog.=) 'plpgsql')
  then pg_catalog.has_language_privilege('plpgsql', 'USAGE') else false end`;

/** Refuses, before anything is compared, a live database where the patch's role cannot run its guard. */
export async function checkPatchLanguage(live: Query, database: string): Promise<void> {
  if ((await live(database, PLPGSQL))[0]?.[0] === 't') return;
  // As SQL writes it (quote_ident): the hint's GRANT is run as it is shown.
  const role = (await live(database, 'select pg_catalog.quote_ident(current_user)'))[0]?.[0];
  throw new StepFailed(
    `the live database ${database}'s sessions as ${String(role)} cannot run PL/pgSQL (the language is not there, or that role may not use it): the patch checks in PL/pgSQL, before it writes, that the rows are still as the plan saw them`,
    {
      hint: `nothing was compared or written; where the database's owner agrees, GRANT USAGE ON LANGUAGE plpgsql TO ${String(role)} in it and run the merge again, or take the tables' rows from the copy by hand (pg_dump --data-only --table)`,
    },
  );
}
