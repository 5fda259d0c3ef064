/**
 * The merge reads every value as UTF-8 text and writes its patch as UTF-8. A server converts its
 * text to UTF-8 from any encoding but one: SQL_ASCII, which hands its bytes on as they are and
 * checks none, so a byte of Latin-1 (or any other encoding's) text would be read as U+FFFD, compared
 * as equal to another, and written back changed. In a SQL_ASCII database the tables are checked
 * first, by the server: `convert_to(…, 'UTF8')` of a SQL_ASCII text checks that it is UTF-8. Its
 * failure is caught in the server by its SQLSTATE (22021, character_not_in_repertoire) and raised
 * again in words of ours, so that it is told apart from any other failure in whatever language the
 * server speaks (lc_messages is the server's and the database's, not ours to set). A session that
 * cannot run PL/pgSQL (a tenant dropped it, or revoked it from PUBLIC) is refused before, in our words.
 */
import { messageOf, StepFailed } from '../core/errors.js';
import type { Query } from '../systems/pg-query.js';
import { qualified } from './table-rows.js';
import { tableName, type TableShape } from './table-shape.js';

const ENCODING = `select pg_catalog.pg_encoding_to_char(encoding) from pg_catalog.pg_database
  where datname operator(pg_catalog.=) pg_catalog.current_database()`;

/** Whether this session may run PL/pgSQL, the check's language (`t` or `f`; one column, as every side reads). */
const PLPGSQL = `select case when exists (select from pg_catalog.pg_language where lanname operator(pg_catalog.=) 'plpgsql')
  then pg_catalog.has_language_privilege('plpgsql', 'USAGE') else false end`;

/** What our check raises: its words are ours, never translated. */
const NOT_UTF8 = 'dingo-recover check: text that is not UTF-8:';

/**
 * A DO block that reads every row of the table as text converted to UTF-8 and raises NOT_UTF8 with
 * PostgreSQL's own words where a byte sequence is not UTF-8. Its body is dollar-quoted with a tag the
 * body does not hold (the table's name is the tenant's and may hold any `$…$`).
 */
function checkBlock(shape: TableShape): string {
  const body = `declare said pg_catalog.text;
begin
  perform pg_catalog.count(pg_catalog.convert_to(x::pg_catalog.text, 'UTF8')) from only ${qualified(shape)} x;
exception when character_not_in_repertoire then
  get stacked diagnostics said = message_text;
  raise exception '${NOT_UTF8} %', said using errcode = 'character_not_in_repertoire';
end`;
  let tag = '$check$';
  for (let n = 0; body.includes(tag); n++) tag = `$check${String(n)}$`;
  return `do language plpgsql ${tag}${body}${tag}`;
}

/** Refuses to merge tables of a SQL_ASCII database (`side` names it) that hold text that is not UTF-8. */
export async function checkUtf8(query: Query, database: string, shapes: readonly TableShape[], side: string): Promise<void> {
  const encoding = (await query(database, ENCODING))[0]?.[0];
  if (encoding !== 'SQL_ASCII') return;
  if ((await query(database, PLPGSQL))[0]?.[0] !== 't') {
    // As SQL writes it (quote_ident): the hint's GRANT is run as it is shown.
    const role = (await query(database, 'select pg_catalog.quote_ident(current_user)'))[0]?.[0];
    throw new StepFailed(
      `${side}'s database ${database} is SQL_ASCII, and its sessions as ${String(role)} cannot run PL/pgSQL (the language is not there, or that role may not use it): the merge checks in PL/pgSQL that the text is UTF-8 before it reads it as UTF-8, and merges no text unchecked`,
      {
        hint: `nothing was compared or written; take the tables' rows from the copy by hand, in the copy's own bytes (pg_dump --data-only --table), or, where the database's owner agrees, GRANT USAGE ON LANGUAGE plpgsql TO ${String(role)} in it and run the merge again`,
      },
    );
  }
  for (const shape of shapes) {
    try {
      await query(database, checkBlock(shape));
    } catch (err) {
      const said = messageOf(err);
      const at = said.indexOf(NOT_UTF8);
      if (at < 0) throw err;
      const why = said
        .slice(at + NOT_UTF8.length)
        .split('\n')[0]!
        .trim();
      throw new StepFailed(
        `${side}'s database ${database} is SQL_ASCII, and ${tableName(shape)} holds text that is not UTF-8 (${why}): the merge reads and writes UTF-8, and would change those bytes`,
        {
          hint: "nothing was compared or written; take that table's rows from the copy by hand, in the copy's own bytes (pg_dump --data-only --table), or leave it out of inputs.merge",
        },
      );
    }
  }
}
