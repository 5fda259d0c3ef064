/**
 * The texts the patch writes rows back with, the same the merge read them as: a value as a literal
 * (in a SQL_ASCII database an E'' literal of the escapes of its bytes, so the bytes go back as they
 * were, whatever encoding they were in), values as the JSON text the server's `json_build_array`
 * makes (what the guard and the expect file match live rows by), and a table's quoted name.
 */
import { StepFailed } from '../core/errors.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import { asBytes, type TableShape } from './table-shape.js';

/** `encode(…, 'escape')`'s form: no backslash but `\\` and `\ooo`, the only escapes an E'' literal then meets. */
const ESCAPE_FORM = /^(?:[^\\]|\\\\|\\[0-3][0-7]{2})*$/;

/**
 * A value as the merge read it (columnText), as a literal that writes it back: in a SQL_ASCII database
 * an E'' literal of its escapes, which E'' reads back as the bytes they stand for. In E'' a backslash
 * also escapes a quote: a value not in the escape form (a server of the tenant's, whose `encode` is
 * not PostgreSQL's, sent it) could end the literal, and is refused.
 */
export function valueLiteral(shape: Pick<TableShape, 'encoding' | 'schema' | 'table'>, value: string | null): string {
  if (value === null) return 'NULL';
  if (!asBytes(shape)) return sqlLiteral(value);
  if (!ESCAPE_FORM.test(value)) {
    throw new StepFailed(
      `a value of ${qualified(shape)} read from its SQL_ASCII database is not the escapes of its bytes that was asked for`,
      {
        hint: 'nothing was written; the server that sent it did not answer as PostgreSQL does: take the rows from the dumps by hand',
      },
    );
  }
  return `E${sqlLiteral(value)}`;
}

/**
 * The text `json_build_array(c1::text, …)::text` makes of these values on any server (9.5 and on):
 * `", "` between them, `null` for NULL, each string escaped as escape_json does (`"`, `\\`, \b \f \n
 * \r \t, and `\u00xx` for the other control characters), which is what JSON.stringify writes for
 * a string a server can hold. What the patch's guard and its expect file match the live rows by.
 */
export const jsonText = (values: readonly (string | null)[]): string =>
  `[${values.map((v) => (v === null ? 'null' : JSON.stringify(v))).join(', ')}]`;

/** `"schema"."table"`. */
export const qualified = (s: Pick<TableShape, 'schema' | 'table'>): string => `${sqlIdent(s.schema)}.${sqlIdent(s.table)}`;
