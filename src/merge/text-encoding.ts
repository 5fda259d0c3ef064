/**
 * The merge reads every value as UTF-8 text and writes its patch as UTF-8. A server converts its
 * text to UTF-8 from any encoding but one: SQL_ASCII, which hands its bytes on as they are and
 * checks none, so a byte of Latin-1 (or any other encoding's) text would be read as U+FFFD, compared
 * as equal to another, and written back changed. In a SQL_ASCII database the tables are checked
 * first, by the server: `convert_to(…, 'UTF8')` of a SQL_ASCII text checks that it is UTF-8.
 */
import { messageOf, StepFailed } from '../core/errors.js';
import type { Query } from '../systems/pg-query.js';
import { qualified } from './table-rows.js';
import { tableName, type TableShape } from './table-shape.js';

const ENCODING = `select pg_catalog.pg_encoding_to_char(encoding) from pg_catalog.pg_database
  where datname operator(pg_catalog.=) pg_catalog.current_database()`;

/** Refuses to merge tables of a SQL_ASCII database (`side` names it) that hold text that is not UTF-8. */
export async function checkUtf8(query: Query, database: string, shapes: readonly TableShape[], side: string): Promise<void> {
  const encoding = (await query(database, ENCODING))[0]?.[0];
  if (encoding !== 'SQL_ASCII') return;
  for (const shape of shapes) {
    try {
      await query(database, `select pg_catalog.count(pg_catalog.convert_to(x::pg_catalog.text, 'UTF8')) from only ${qualified(shape)} x`);
    } catch (err) {
      const said = messageOf(err);
      if (!said.includes('invalid byte sequence for encoding "UTF8"')) throw err;
      throw new StepFailed(
        `${side}'s database ${database} is SQL_ASCII, and ${tableName(shape)} holds text that is not UTF-8 (${said.trim()}): the merge reads and writes UTF-8, and would change those bytes`,
        {
          hint: "nothing was compared or written; take that table's rows from the copy by hand, in the copy's own bytes (pg_dump --data-only --table), or leave it out of inputs.merge",
        },
      );
    }
  }
}
