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
 * backslash doubled), which is what is compared, and written back as such (row-literals.ts).
 */
import { sqlIdent } from '../core/sql-quote.js';
import type { QueryLines } from '../systems/pg-query.js';
import { copyField, copyLines, copyValue } from './json-rows.js';
import { qualified } from './row-literals.js';
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

/** `json_build_array(c1::text, …)::text` of some columns (columnText): the text a row's key is ordered by, and the patch's guard matches rows by. */
export function textArray(shape: Pick<TableShape, 'encoding'>, columns: readonly string[]): string {
  return `pg_catalog.json_build_array(${columns.map((c) => columnText(shape, c)).join(', ')})::pg_catalog.text`;
}

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
