/**
 * The rows of a table to merge, each as the server prints it: its key and its values as text (null
 * for SQL NULL), the same text as JSON (compared, and matched by the patch's guard), and the
 * transaction that wrote the row's current version (xmin). A table is read as a stream, in the byte
 * order of its key's text (UTF-8), the same on every server whatever its collations and encoding.
 */
import { sqlIdent } from '../core/sql-quote.js';
import type { QueryLines } from '../systems/pg-query.js';
import { copyFields, copyLines } from './json-rows.js';
import type { TableShape } from './table-shape.js';

/** A row as it is read: its key's and values' text, not yet parsed. */
export interface RowText {
  /** The key's values as JSON text made by the server: what identifies the row on both sides. */
  keyText: string;
  /** Every written column's value as JSON text made by the server: what is compared. */
  valuesText: string;
  xmin: string;
}

export interface TableRow extends RowText {
  key: (string | null)[];
  values: (string | null)[];
}

/** A row read, parsed: for a row the merge keeps. */
export const parsedRow = (r: RowText): TableRow => ({
  ...r,
  key: JSON.parse(r.keyText) as (string | null)[],
  values: JSON.parse(r.valuesText) as (string | null)[],
});

/** `json_build_array(c1::text, …)::text` of some columns: the text a row is compared and guarded by. */
export function textArray(columns: readonly string[]): string {
  return `pg_catalog.json_build_array(${columns.map((c) => `${sqlIdent(c)}::pg_catalog.text`).join(', ')})::pg_catalog.text`;
}

/** `"schema"."table"`. */
export const qualified = (s: Pick<TableShape, 'schema' | 'table'>): string => `${sqlIdent(s.schema)}.${sqlIdent(s.table)}`;

/**
 * Every row of the table itself (ONLY: not its inheritance children), streamed in the byte order of
 * its key's text, a batch at a time as the lines come: the server sorts by the key's text converted
 * to UTF-8 bytes (bytea compares them as memcmp does), never by a collation, which may differ
 * between the copy and the live server.
 */
export async function* rowsByKey(read: QueryLines, db: string, shape: TableShape): AsyncGenerator<RowText[]> {
  const key = textArray(shape.key);
  // Three columns, none NULL: json_build_array's text always is a value, as is xmin.
  const select = `select ${key}, ${textArray(shape.columns)}, xmin::pg_catalog.text
       from only ${qualified(shape)} order by pg_catalog.convert_to(${key}, 'UTF8')`;
  for await (const lines of copyLines(read, db, select)) {
    const rows: RowText[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const [keyText, valuesText, xmin] = copyFields(line);
      rows.push({ keyText: keyText!, valuesText: valuesText!, xmin: xmin! });
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
