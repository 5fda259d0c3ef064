/**
 * The rows of a table to merge, each as the server prints it: its key as JSON text made by the
 * server (what identifies the row on both sides, and what the patch's guard matches), its values as
 * COPY's text fields of `column::text` (compared; JSON made by the server costs it twice the time of
 * the values' own text), and the transaction that wrote the row's current version (xmin). A table is
 * read as a stream, in the byte order of its key's text (UTF-8), the same on every server whatever its
 * collations and encoding.
 *
 * A server converts its text to UTF-8, ours, from any encoding but SQL_ASCII, whose bytes it hands on
 * as they are, checked by no one: a byte of Latin-1 would be read as U+FFFD, compared as equal to
 * another, and written back changed. In a SQL_ASCII database each value's text is therefore read as
 * its bytes in `encode(…, 'escape')`'s form, ASCII whatever they are (a byte above 127 as `\ooo`, a
 * backslash doubled), which is what is compared, and written back by the patch as an E'' literal of
 * those same escapes (patch.ts): the bytes go back as they were, whatever encoding they were in.
 */
import { StepFailed } from '../core/errors.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import type { QueryLines } from '../systems/pg-query.js';
import { copyField, copyLines, copyValue } from './json-rows.js';
import { asBytes, type TableShape } from './table-shape.js';

/** A row as it is read: its key's and values' text, not yet parsed. */
export interface RowText {
  /** The key's values as JSON text made by the server: what identifies the row on both sides. */
  keyText: string;
  /** Every written column's `::text` as COPY's text fields, each after a tab (escaped, `\N` for NULL; none: ''): what is compared. */
  valuesText: string;
  xmin: string;
}

export interface TableRow extends RowText {
  key: (string | null)[];
  values: (string | null)[];
}

/** The values of `valuesText`, each as its column's `::text` (null for SQL NULL). */
export const valuesOf = (valuesText: string): (string | null)[] => valuesText.split('\t').slice(1).map(copyValue);

/** A row read, parsed: for a row the merge keeps. */
export const parsedRow = (r: RowText): TableRow => ({
  ...r,
  key: JSON.parse(r.keyText) as (string | null)[],
  values: valuesOf(r.valuesText),
});

/** A column's value as the merge reads it: its `::text`, or in a SQL_ASCII database the escape form of that text's bytes. */
function columnText(shape: Pick<TableShape, 'encoding'>, column: string): string {
  const text = `${sqlIdent(column)}::pg_catalog.text`;
  return asBytes(shape) ? `pg_catalog.encode(pg_catalog.convert_to(${text}, 'SQL_ASCII'), 'escape')` : text;
}

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

/** `json_build_array(c1::text, …)::text` of some columns (columnText): the text a row's key is ordered by, and the patch's guard matches rows by. */
export function textArray(shape: Pick<TableShape, 'encoding'>, columns: readonly string[]): string {
  return `pg_catalog.json_build_array(${columns.map((c) => columnText(shape, c)).join(', ')})::pg_catalog.text`;
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

/**
 * Every row of the table itself (ONLY: not its inheritance children), streamed in the byte order of
 * its key's text, a batch at a time as the lines come: the server sorts by the key's text converted
 * to UTF-8 bytes (bytea compares them as memcmp does), never by a collation, which may differ
 * between the copy and the live server.
 */
export async function* rowsByKey(read: QueryLines, db: string, shape: TableShape): AsyncGenerator<RowText[]> {
  const key = textArray(shape, shape.key);
  // The key's JSON and xmin are never NULL; a value may be (`\N`).
  const values = shape.columns.map((c) => columnText(shape, c));
  const select = `select ${[key, ...values, 'xmin::pg_catalog.text'].join(', ')}
       from only ${qualified(shape)} order by pg_catalog.convert_to(${key}, 'UTF8')`;
  for await (const lines of copyLines(read, db, select)) {
    const rows: RowText[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const afterKey = line.indexOf('\t');
      const beforeXmin = line.lastIndexOf('\t');
      rows.push({
        keyText: copyField(line.slice(0, afterKey)),
        valuesText: line.slice(afterKey, beforeXmin),
        xmin: line.slice(beforeXmin + 1),
      });
    }
    if (rows.length > 0) yield rows;
  }
}

/**
 * Orders two strings as their UTF-8 bytes compare (code point order), as the server sorted them.
 * UTF-16 code units order otherwise only where a surrogate (a code point above U+FFFF) meets a unit of
 * U+E000 to U+FFFF: surrogates are moved above those before comparing.
 */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number): number => (unit >= 0xd800 ? (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000) : unit);
