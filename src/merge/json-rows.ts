/**
 * Every read of the merge selects text the server made, so that a value holding a separator, a
 * newline or a quote comes back whole whatever carries the rows (psql on this machine, psql in a
 * container over SSH): small reads one column, a JSON array; a table's rows come as `COPY … TO
 * STDOUT` in its text format, whose escapes keep every field on its line and apart. The same
 * settings are set first on every server, so that a value's text is the same on the copy and on the
 * live database (and when the patch writes it back).
 */
import type { Query, QueryLines } from '../systems/pg-query.js';

/** The settings a value's text depends on, as every read of the merge and the patch set them. */
export const TEXT_SETTINGS: readonly [string, string][] = [
  ['datestyle', 'ISO, YMD'],
  ['intervalstyle', 'postgres'],
  ['timezone', 'UTC'],
  ['extra_float_digits', '3'],
  ['bytea_output', 'hex'],
  ['standard_conforming_strings', 'on'],
];

const settings = TEXT_SETTINGS.map(([k, v]) => `set ${k} = '${v}'`).join('; ');

/** The rows of `sql`, whose one column is a JSON array, parsed. */
export async function jsonRows(read: Query, db: string, sql: string): Promise<unknown[][]> {
  const rows = await read(db, `${settings}; ${sql}`);
  return rows.filter((r) => r[0] !== undefined && r[0] !== '').map((r) => JSON.parse(r[0]!) as unknown[]);
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of COPY's text format as it was: `\\` a backslash, `\n` a newline and so on (most fields have no escape). */
export function copyField(field: string): string {
  return field.includes('\\') ? field.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c) : field;
}

/**
 * The lines of `select`'s rows in its order, as the server sends them by `COPY (…) TO STDOUT`, read
 * a batch at a time (what is held is the batch being read, whatever the table's size): its fields are
 * split on tabs and each read by `copyField`, or by `copyValue` where it may be NULL.
 */
export function copyLines(read: QueryLines, db: string, select: string): AsyncIterable<string[]> {
  return read(db, `${settings}; copy (${select}) to stdout`);
}

/** One field of COPY's text format that may be NULL: `\N` is NULL (a value of those two characters is written `\\N`). */
export const copyValue = (field: string): string | null => (field === '\\N' ? null : copyField(field));
