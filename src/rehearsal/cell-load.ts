/**
 * The simulated container's databases as a load into a new service sees them (adapters/pg-load.ts):
 * psql's questions about a database and its tables, CREATE and ALTER DATABASE, and pg_restore
 * reading a pg_dump -Fc file from standard input, answered in PostgreSQL 9.5's words. The file is
 * bytes: only its header is read (PGDMP, as pg_restore checks it) and its table-data entries counted
 * from its table of contents; the rest is recorded by size and sha256, never decoded.
 */
import { createHash } from 'node:crypto';
import { USER_TABLES_QUERY } from '../adapters/pg-load.js';
import { withoutKeys } from './json-state.js';
import { fail, ok, type Out, type SimContainer, type SimDatabase } from './cell-world.js';

/** The databases, the empty postgres alone until a load writes (reads leave the state as it is). */
function databasesOf(c: SimContainer, writes = false): Record<string, SimDatabase> {
  const initial = (): Record<string, SimDatabase> => ({ postgres: { owner: 'postgres', tables: 0, loads: [] } });
  if (!writes) return c.pg.databases ?? initial();
  return (c.pg.databases ??= initial());
}

const DB_EXISTS = /^select 1 from pg_catalog\.pg_database where datname operator\(pg_catalog\.=\) '((?:[^']|'')*)'$/;
const CREATE_DB = /^create database "((?:[^"]|"")+)"(?: owner "((?:[^"]|"")+)")?$/;
const RENAME_DB = /^alter database "((?:[^"]|"")+)" rename to "((?:[^"]|"")+)"$/;
const unquote = (s: string, q: string): string => s.split(q + q).join(q);

/** One psql -tAc statement about databases, in `database`; undefined when it is not one of these. */
export function databaseQuery(c: SimContainer, database: string, sql: string): Out | undefined {
  const writes = CREATE_DB.test(sql) || RENAME_DB.test(sql);
  const dbs = databasesOf(c, writes);
  if (!(database in dbs)) return fail(2, `psql: FATAL:  database "${database}" does not exist\n`);
  let m = DB_EXISTS.exec(sql);
  if (m) return ok(unquote(m[1]!, "'") in dbs ? '1\n' : '');
  if (sql === USER_TABLES_QUERY) return ok(`${dbs[database]!.tables}\n`);
  m = CREATE_DB.exec(sql);
  if (m) {
    const name = unquote(m[1]!, '"');
    const owner = m[2] ? unquote(m[2], '"') : 'postgres';
    if (name in dbs) return fail(1, `ERROR:  database "${name}" already exists\n`);
    if (!(owner in c.pg.roles) && owner !== 'postgres') return fail(1, `ERROR:  role "${owner}" does not exist\n`);
    dbs[name] = { owner, tables: 0, loads: [] };
    return ok('CREATE DATABASE\n');
  }
  m = RENAME_DB.exec(sql);
  if (m) {
    const [from, to] = [unquote(m[1]!, '"'), unquote(m[2]!, '"')];
    if (!(from in dbs)) return fail(1, `ERROR:  database "${from}" does not exist\n`);
    if (to in dbs) return fail(1, `ERROR:  database "${to}" already exists\n`);
    c.pg.databases = { ...withoutKeys(dbs, [from]), [to]: dbs[from]! };
    return ok('ALTER DATABASE\n');
  }
  return undefined;
}

/** The value after a flag, as pg_restore's getopt reads `-d NAME`. */
function option(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Occurrences of `needle` in `haystack`: pg_dump -Fc writes each table's data entry desc, "TABLE DATA", in its TOC. */
function count(haystack: Buffer, needle: string): number {
  const n = Buffer.from(needle, 'latin1');
  let found = 0;
  for (let at = haystack.indexOf(n); at >= 0; at = haystack.indexOf(n, at + n.length)) found += 1;
  return found;
}

/**
 * pg_restore --single-transaction of `dump` as `login` (a role with its password over TCP):
 * all of it, or, on an error, nothing.
 */
export function pgRestore(c: SimContainer, login: { user: string; password: string }, args: string[], dump: Buffer): Out {
  const database = option(args, '-d') ?? login.user;
  const failed = (why: string): Out => fail(1, `pg_restore: [archiver (db)] connection to database "${database}" failed: ${why}\n`);
  if (!c.pg.ready)
    return failed(
      'could not connect to server: Connection refused\n\tIs the server running on host "127.0.0.1" and accepting\n\tTCP/IP connections on port 5432?',
    );
  if (c.pg.roles[login.user] !== login.password) return failed(`FATAL:  password authentication failed for user "${login.user}"`);
  const db = databasesOf(c, true)[database];
  if (!db) return failed(`FATAL:  database "${database}" does not exist`);
  if (dump.subarray(0, 5).toString('latin1') !== 'PGDMP')
    return fail(1, 'pg_restore: [archiver] input file does not appear to be a valid archive\n');
  db.tables += count(dump, 'TABLE DATA');
  db.loads.push({ bytes: dump.length, sha256: createHash('sha256').update(dump).digest('hex') });
  return ok();
}
