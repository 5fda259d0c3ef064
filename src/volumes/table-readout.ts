/**
 * A table's rows and its newest timestamp, as the copy's server reports them, read without the server
 * ever planning a scan of the table: `COPY "schema"."table" (columns) TO STDOUT`, which is not a query
 * (no planner runs), streamed and counted here, line by line. Planning any query of a table runs the
 * tenant's code: PostgreSQL const-folds its index expressions and predicates, its statistics
 * expressions and its partitions' key expressions (eval_const_expressions), calling an IMMUTABLE
 * function with constant arguments, which may be a SECURITY DEFINER function of a superuser's. COPY
 * of a table reads it with the heap's own scan and only calls the output function of each column
 * named, so only columns of built-in types whose output function is the server's own (internal, not
 * SECURITY DEFINER) are named: the time columns whose newest value is wanted, else the narrowest such
 * column. A table none of whose columns is such is not counted: its estimate (pg_class.reltuples)
 * stands, and the look says why. What comes back is the copy's server's word, read with our session
 * settings (DateStyle ISO, TimeZone UTC: systems/pg-session.ts), and shown as such.
 */
import type { Query, TableLines } from '../systems/pg-query.js';
import { sqlIdent } from '../core/sql-quote.js';
import { messageOf } from '../core/errors.js';
import { later, newestIn, type Moment } from './copy-moments.js';
import { columnsToRead, shapeOf } from './table-columns.js';

/** How a look reads a copy: our catalog reads, and the tenant's tables by COPY. */
export interface CopyReader {
  query: Query;
  lines: TableLines;
}

export interface TableReadout {
  /** Rows counted, or the planner's estimate (-1: never analysed) when not counted. */
  rows: number;
  counted: boolean;
  /** The newest value of its time columns (six at most), as timestamptz text in UTC; null when none or not read. */
  newest: string | null;
  /** Why the rows were not counted, or the newest not read. */
  note: string | null;
}
/**
 * The rows of one ordinary table (its own: COPY reads no child) and the newest value of its time
 * columns, by COPY as `lines` reads it; `count`: count its rows even when it has no time column
 * (else only its newest is wanted, and a table without time columns is not read). `estimate` stands
 * when it is not counted.
 */
export async function readTable(
  r: CopyReader,
  db: string,
  schema: string,
  table: string,
  o: { count: boolean; newest: boolean; estimate: number },
): Promise<TableReadout> {
  const { owner, columns } = await shapeOf(r.query, db, schema, table);
  const chosen = columnsToRead(columns, o.newest);
  const notCounted = (note: string | null): TableReadout => ({ rows: o.estimate, counted: false, newest: null, note });
  if (!chosen) return notCounted('no column of a built-in type to read it by: not counted');
  if (!o.count && chosen.time === 0) return notCounted(null);
  const list = chosen.read.length ? ` (${chosen.read.map((c) => sqlIdent(c.name)).join(', ')})` : '';
  const types = chosen.read.slice(0, chosen.time).map((c) => c.type);
  let rows = 0;
  let newest: Moment | null = null;
  try {
    for await (const batch of r.lines(db, `copy ${sqlIdent(schema)}.${sqlIdent(table)}${list} to stdout`, owner)) {
      rows += batch.length;
      if (types.length) for (const line of batch) newest = later(newest, newestIn(line, types));
    }
  } catch (err) {
    return notCounted(`not read: ${messageOf(err)}`);
  }
  return { rows, counted: true, newest: newest?.text ?? null, note: null };
}
