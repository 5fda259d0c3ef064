/**
 * The look inside a chosen volume, on a copy: what databases it holds, their schemas, largest tables
 * with row counts, and the newest timestamp found in them; then `pg_dump -Fc` of each chosen database
 * and the proof that each dump restores (into a fresh scratch cluster, with the same row counts).
 */
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, messageOf } from '../core/errors.js';
import type { DockerEngine } from '../core/seams.js';
import { runOk } from '../systems/processes.js';
import { clientEnv } from '../systems/pg-sandbox.js';
import { ident, rowCounts, type DumpFacts } from './dump-facts.js';
import { localeMissing, missingLocale, startScratchServer, type ScratchServer } from './scratch-server.js';

export type { DumpFacts } from './dump-facts.js';
export { verifyDumps } from './restore-check.js';

interface TableFacts {
  schema: string;
  table: string;
  bytes: number;
  /** Exact for tables under 256 MiB, else the planner's estimate (-1: never analysed). */
  rows: number;
  rowsExact: boolean;
  /** The newest value of its timestamp and date columns, as text. */
  newest: string | null;
}

interface DatabaseFacts {
  name: string;
  bytes: number;
  schemas: string[];
  largestTables: TableFacts[];
  newest: string | null;
}

export interface LookResult {
  server: string;
  notes: string[];
  databases: DatabaseFacts[];
}

const EXACT_BELOW = 256 * 1024 * 1024;

async function databaseFacts(server: ScratchServer, name: string, bytes: number, tables: number): Promise<DatabaseFacts> {
  const schemas = (
    await server.query(
      name,
      `select nspname from pg_catalog.pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1`,
    )
  ).map((r) => r[0]!);
  const rows = await server.query(
    name,
    `select n.nspname, c.relname, pg_catalog.pg_total_relation_size(c.oid), c.reltuples::bigint
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
      order by 3 desc, 1, 2 limit ${tables}`,
  );
  const largestTables: TableFacts[] = [];
  for (const [schema = '', table = '', size = '0', estimate = '-1'] of rows) {
    const q = `${ident(schema)}.${ident(table)}`;
    const exact = Number(size) < EXACT_BELOW;
    const count = exact ? Number((await server.query(name, `select pg_catalog.count(*) from ${q}`))[0]?.[0]) : Number(estimate);
    const cols = (
      await server.query(
        name,
        `select attname from pg_catalog.pg_attribute where attrelid = '${q.replace(/'/g, "''")}'::regclass and attnum > 0 and not attisdropped
           and atttypid in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) order by attnum limit 6`,
      )
    ).map((r) => r[0]!);
    let newest: string | null = null;
    if (cols.length) {
      const expr = cols.map((c) => `pg_catalog.max(${ident(c)})::timestamptz`).join(', ');
      newest = (await server.query(name, `select greatest(${expr})::text from ${q}`))[0]?.[0] || null;
    }
    largestTables.push({ schema, table, bytes: Number(size), rows: count, rowsExact: exact, newest });
  }
  return { name, bytes, schemas, largestTables, newest: newestOf(largestTables.map((t) => t.newest)) };
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

async function withServer<T>(o: LookOptions, f: (s: ScratchServer) => Promise<T>): Promise<T> {
  const server = await startScratchServer(o);
  try {
    return await f(server);
  } finally {
    await server.stop();
  }
}

async function listDatabases(server: ScratchServer): Promise<[string, number][]> {
  return (
    await server.query(
      'template1',
      `select datname, pg_catalog.pg_database_size(oid) from pg_catalog.pg_database where not datistemplate and datallowconn order by 2 desc`,
    )
  ).map((r) => [r[0]!, Number(r[1])]);
}

/** Starts a scratch server on the copy and reads what it holds. */
export function lookInside(o: LookOptions): Promise<LookResult> {
  return withServer(o, async (server) => {
    const databases: DatabaseFacts[] = [];
    for (const [name, bytes] of await listDatabases(server)) databases.push(await databaseFacts(server, name, bytes, o.tables ?? 10));
    return { server: server.how, notes: server.notes, databases };
  });
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

/** pg_dump -Fc of each database into `outDir` (never over an existing file), with its row counts. */
export function dumpDatabases(o: LookOptions & { databases: string[]; outDir: string }): Promise<DumpFacts[]> {
  return withServer(o, async (server) => {
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
      const argv = [join(server.clientBin, 'pg_dump'), '-Fc', '-f', file, ...server.conn.args, '-U', server.conn.user, '-d', db];
      await runOk(argv, { env: clientEnv() }).catch((err: unknown) => {
        // A database this machine cannot open (a locale it lacks) says which locale, and what to do.
        const locale = missingLocale(messageOf(err));
        throw locale ? localeMissing(locale, o.major, `open the database ${db}`) : err;
      });
      out.push({ database: db, file, bytes: (await stat(file)).size, rowCounts: await rowCounts((d, sql) => server.query(d, sql), db) });
    }
    return out;
  });
}
