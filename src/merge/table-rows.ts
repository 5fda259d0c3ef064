/**
 * The rows of a table to merge, each as the server prints it: its key and its values as text (null
 * for SQL NULL), the same text as JSON (compared, and matched by the patch's guard), and the
 * transaction that wrote the row's current version (xmin).
 */
import { sqlIdent } from '../core/sql-quote.js';
import type { Query } from '../systems/pg-query.js';
import { jsonRows } from './json-rows.js';
import type { TableShape } from './table-shape.js';

export interface TableRow {
  /** The key's values as JSON text made by the server: what identifies the row on both sides. */
  keyText: string;
  key: (string | null)[];
  /** Every written column's value as JSON text made by the server: what is compared. */
  valuesText: string;
  values: (string | null)[];
  xmin: string;
}

/** `json_build_array(c1::text, …)::text` of some columns: the text a row is compared and guarded by. */
export function textArray(columns: readonly string[]): string {
  return `pg_catalog.json_build_array(${columns.map((c) => `${sqlIdent(c)}::pg_catalog.text`).join(', ')})::pg_catalog.text`;
}

/** `"schema"."table"`. */
export const qualified = (s: Pick<TableShape, 'schema' | 'table'>): string => `${sqlIdent(s.schema)}.${sqlIdent(s.table)}`;

/** Every row of the table itself (ONLY: not its inheritance children), by key. */
export async function readRows(read: Query, db: string, shape: TableShape): Promise<Map<string, TableRow>> {
  const rows = await jsonRows(
    read,
    db,
    `select pg_catalog.json_build_array(${textArray(shape.key)}, ${textArray(shape.columns)}, xmin::pg_catalog.text)::pg_catalog.text
       from only ${qualified(shape)}`,
  );
  const out = new Map<string, TableRow>();
  for (const [keyText, valuesText, xmin] of rows as [string, string, string][]) {
    out.set(keyText, {
      keyText,
      key: JSON.parse(keyText) as (string | null)[],
      valuesText,
      values: JSON.parse(valuesText) as (string | null)[],
      xmin,
    });
  }
  return out;
}
