/**
 * The look inside a chosen volume, on a copy: what databases it holds, their schemas, largest tables
 * with row counts, and the newest timestamp found in them; then `pg_dump -Fc` of each chosen database
 * and the proof that each dump restores (into a fresh scratch cluster, with the same row counts).
 * Catalogs are read by our superuser session; tables only by the reader role, no superuser, in READ
 * ONLY transactions, and never through a foreign table (its wrapper could run a program): a foreign
 * table is named in the look, its rows left out.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { DockerEngine } from '../core/seams.js';
import { foreignTables, partitionLeaves, rowCounts, type DumpFacts } from './dump-facts.js';
import { readTable, type CopyReader } from './table-readout.js';
import { startScratchServer, type ScratchServer } from './scratch-server.js';

export type { DumpFacts } from './dump-facts.js';
export { isCheckFolder, verifyDumps } from './restore-check.js';
export { localClientOf } from '../systems/pg-install.js';

interface TableFacts {
  schema: string;
  table: string;
  bytes: number;
  /** Counted for tables under 256 MiB or with a time column, else the planner's estimate (-1: never analysed). */
  rows: number;
  rowsExact: boolean;
  /** The newest value of its timestamp and date columns, as timestamptz text in UTC. */
  newest: string | null;
  /** Why its rows were not counted, or its newest value not read (table-readout.ts). */
  note: string | null;
}

interface DatabaseFacts {
  name: string;
  bytes: number;
  schemas: string[];
  largestTables: TableFacts[];
  /** Foreign tables ("schema.table"): never read, their rows are not in any count. */
  foreignTables: string[];
  newest: string | null;
}

/** How a look reads a copy: our catalog reads, and the tenant's tables by COPY (table-readout.ts). */
export type TableReader = CopyReader;

export interface LookResult {
  server: string;
  notes: string[];
  databases: DatabaseFacts[];
}

const EXACT_BELOW = 256 * 1024 * 1024;

/**
 * What the look says of the figures it shows: they are the copy's server's own report, which code of
 * the tenant's running in that server could have made say anything.
 */
export const AS_THE_COPY_SAYS =
  "row counts and newest timestamps are what the copy's server reported (COPY of each table, as a role that is no superuser; ~ an estimate from its statistics)";

async function databaseFacts(server: TableReader, name: string, bytes: number, tables: number): Promise<DatabaseFacts> {
  const schemas = (
    await server.query(
      name,
      `select nspname from pg_catalog.pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1`,
    )
  ).map((r) => r[0]!);
  const rows = await server.query(
    name,
    `select n.nspname, c.relname, pg_catalog.pg_total_relation_size(c.oid), c.reltuples::bigint, c.relkind
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
      order by 3 desc, 1, 2 limit ${tables}`,
  );
  const leaves = await partitionLeaves(server.query, name);
  const largestTables: TableFacts[] = [];
  for (const [schema = '', table = '', size = '0', estimate = '-1', kind = 'r'] of rows) {
    // What is read: the table's own rows, or a partitioned table's ordinary partitions.
    const own: [string, string][] = kind === 'p' ? (leaves.get(`${schema}.${table}`) ?? []) : [[schema, table]];
    const read = await readOwn(server, name, own, { count: Number(size) < EXACT_BELOW, estimate: Number(estimate) });
    largestTables.push({ schema, table, bytes: Number(size), ...read });
  }
  const foreign = await foreignTables(server.query, name);
  return { name, bytes, schemas, largestTables, foreignTables: foreign, newest: newestOf(largestTables.map((t) => t.newest)) };
}

/** The rows and newest value of a table's own tables (itself, or a partitioned table's partitions), summed. */
async function readOwn(
  server: TableReader,
  db: string,
  own: [string, string][],
  o: { count: boolean; estimate: number },
): Promise<Pick<TableFacts, 'rows' | 'rowsExact' | 'newest' | 'note'>> {
  const parts = [];
  for (const [s, t] of own) parts.push(await readTable(server, db, s, t, { ...o, newest: true }));
  const counted = parts.every((p) => p.counted);
  return {
    rows: counted ? parts.reduce((n, p) => n + p.rows, 0) : o.estimate,
    rowsExact: counted,
    newest: newestOf(parts.map((p) => p.newest)),
    note: parts.find((p) => p.note)?.note ?? null,
  };
}

/** What is said of a database's foreign tables, or null when it has none. */
export function foreignTablesLine(d: { foreignTables: string[] }): string | null {
  return d.foreignTables.length
    ? `foreign table(s) ${d.foreignTables.join(', ')} not read: their rows live outside the database (reading them could run the wrapper's program), and no count includes them`
    : null;
}

/** The newest of some timestamps as PostgreSQL prints them (null and unreadable ones passed over), or null. */
export function newestOf(stamps: readonly (string | null)[]): string | null {
  let newest: string | null = null;
  for (const s of stamps) if (s && !Number.isNaN(Date.parse(s)) && (newest === null || Date.parse(s) > Date.parse(newest))) newest = s;
  return newest;
}

export interface LookOptions {
  dataDir: string;
  major: string;
  workDir: string;
  engine?: DockerEngine;
  binRoot?: string;
  tables?: number;
  progress?: (text: string) => void;
}

async function withServer<T>(o: LookOptions & { dumpBins?: string[] }, f: (s: ScratchServer) => Promise<T>): Promise<T> {
  const server = await startScratchServer(o);
  try {
    return await f(server);
  } finally {
    await server.stop();
  }
}

async function listDatabases(server: Pick<TableReader, 'query'>): Promise<[string, number][]> {
  return (
    await server.query(
      'template1',
      `select datname, pg_catalog.pg_database_size(oid) from pg_catalog.pg_database where not datistemplate and datallowconn order by 2 desc`,
    )
  ).map((r) => [r[0]!, Number(r[1])]);
}

/** Starts a scratch server on the copy and reads what it holds. */
export function lookInside(o: LookOptions): Promise<LookResult> {
  return withServer(o, async (server) => ({
    server: server.how,
    notes: server.notes,
    databases: await readDatabases({ query: server.query, lines: server.readLines }, o.tables),
  }));
}

/**
 * What a server already running on a copy holds: catalogs read through `query`, tables by COPY through
 * `lines` (the reader role, or at a pause a role of the copy's vouched for by the caller), the `tables`
 * largest of each database.
 */
export async function readDatabases(server: TableReader, tables = 10): Promise<DatabaseFacts[]> {
  const databases: DatabaseFacts[] = [];
  for (const [name, bytes] of await listDatabases(server)) databases.push(await databaseFacts(server, name, bytes, tables));
  return databases;
}

/** A new empty file for a dump, 0600 (it holds the database), never over an existing one: pg_dump then writes into it. */
async function newDumpFile(dir: string, base: string): Promise<string> {
  for (let i = 0; ; i++) {
    const file = join(dir, i === 0 ? `${base}.dump` : `${base}.${i}.dump`);
    try {
      await (await open(file, 'wx', 0o600)).close();
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * pg_dump -Fc of each database into `outDir` (never over an existing file), with its row counts; with
 * the pg_dump of `dumpBin` when given (a client of the copy's own major, for a load into a server of
 * it), else the newest local one.
 */
export function dumpDatabases(o: LookOptions & { databases: string[]; outDir: string; dumpBin?: string }): Promise<DumpFacts[]> {
  return withServer({ ...o, dumpBins: o.dumpBin ? [o.dumpBin] : [] }, async (server) => {
    const present = new Set((await listDatabases(server)).map(([n]) => n));
    const missing = o.databases.filter((d) => !present.has(d));
    if (missing.length) {
      throw new UsageError(`the copy holds no database ${missing.map((d) => JSON.stringify(d)).join(', ')}`, {
        hint: `it holds ${[...present].join(', ') || 'none'}: name one of those (--dump, or inputs.databases in the answers file, then resume)`,
      });
    }
    await mkdir(o.outDir, { recursive: true, mode: 0o700 });
    const out: DumpFacts[] = [];
    for (const db of o.databases) {
      const file = await newDumpFile(o.outDir, db.replace(/[^A-Za-z0-9._-]/g, '_'));
      o.progress?.(`pg_dump -Fc ${db} → ${file}`);
      await server.dump(db, file, o.dumpBin);
      out.push({
        database: db,
        file,
        bytes: (await stat(file)).size,
        rowCounts: await rowCounts({ query: server.query, lines: server.readLines }, db),
      });
    }
    return out;
  });
}
