/** What a dump of a database holds (its file and the row count of every table), and reading it back from step outputs. */
import { StepFailed } from '../core/errors.js';
import { isRecord } from '../core/json.js';

export interface DumpFacts {
  database: string;
  file: string;
  bytes: number;
  /** Exact row count of every table at dump time, "schema.table" → rows. */
  rowCounts: Record<string, number>;
}

/** A function that runs one SQL statement in a database and gives its rows. */
export type Query = (database: string, sql: string) => Promise<string[][]>;

/** A quoted SQL identifier. */
export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The exact row count of every table of a database, "schema.table" → rows. */
export async function rowCounts(query: Query, db: string): Promise<Record<string, number>> {
  const tables = await query(
    db,
    `select n.nspname, c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' order by 1, 2`,
  );
  const out: Record<string, number> = {};
  for (const [s = '', t = ''] of tables)
    out[`${s}.${t}`] = Number((await query(db, `select pg_catalog.count(*) from ${ident(s)}.${ident(t)}`))[0]?.[0]);
  return out;
}

/** One dump as recorded by an earlier step (a journal is JSON): checked field by field, never trusted blindly. */
function dumpFactsOf(v: unknown, i: number): DumpFacts {
  const bad = (what: string): StepFailed =>
    new StepFailed(`dump ${i + 1} of the parameter dumps has no ${what}`, {
      hint: 'pass the dumps output of volumes.dump unchanged (each with database, file, bytes and rowCounts)',
    });
  if (!isRecord(v)) throw bad('fields (it is not an object)');
  const { database, file, bytes, rowCounts: counts } = v;
  if (typeof database !== 'string') throw bad('database name');
  if (typeof file !== 'string') throw bad('file');
  if (typeof bytes !== 'number') throw bad('size in bytes');
  if (!isRecord(counts)) throw bad('row counts (table → rows)');
  const rows: Record<string, number> = {};
  for (const [table, n] of Object.entries(counts)) {
    if (typeof n !== 'number') throw bad(`row count for ${table}`);
    rows[table] = n;
  }
  return { database, file, bytes, rowCounts: rows };
}

/** The dumps of a step's parameter, as volumes.dump recorded them. */
export function parseDumpFacts(values: readonly unknown[]): DumpFacts[] {
  return values.map(dumpFactsOf);
}
