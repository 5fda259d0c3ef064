/**
 * The simulated container's databases as a load into a new service sees them (adapters/pg-load.ts):
 * psql's questions about a database and its tables, CREATE and ALTER DATABASE, and pg_restore
 * of a pg_dump -Fc file (typed calls, cell-database.ts), answered in PostgreSQL 9.5's words. Only the file's
 * table of contents is read (its entries, as pg_restore reads them): the tables it makes are
 * counted, its extensions made only by a superuser; the rest is recorded by size and sha256.
 */
import { createHash } from 'node:crypto';
import { USER_TABLES_QUERY } from '../adapters/pg-load.js';
import type { RestoreCall } from '../core/seams.js';
import { dumpTocOf, type DumpToc, type TocEntry } from '../adapters/pg-dump-toc.js';
import { withoutKeys } from './json-state.js';
import { envOf, fail, majorOfImage, ok, type Out, serverVersionNum, type SimContainer, type SimDatabase } from './cell-world.js';

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

/**
 * The newest archive minor version (1.N) the pg_restore of a server version reads: 1.13 from 9.x's
 * minor releases of 2018 on (9.5.12) and 10 and 11, 1.14 from 12, 1.15 from 16, 1.16 from 17.
 */
function newestArchive(versionNum: number): number {
  if (versionNum >= 170_000) return 16;
  if (versionNum >= 160_000) return 15;
  if (versionNum >= 120_000) return 14;
  return 13;
}

/** Whether `user` is the role the broker made the container's superuser (SUPERUSER_USERNAME, else postgres). */
const isSuperuser = (c: SimContainer, user: string): boolean => user === (envOf(c).SUPERUSER_USERNAME ?? 'postgres');

/** pg_restore's words for an entry the server refused, as 9.5's gives them (the transaction then rolls back). */
const refusedEntry = (e: TocEntry, error: string, hint = ''): Out =>
  fail(
    1,
    `pg_restore: [archiver (db)] Error while PROCESSING TOC:\npg_restore: [archiver (db)] Error from TOC entry ${e.id}; 0 0 ${e.desc} ${e.tag}\npg_restore: [archiver (db)] could not execute query: ERROR:  ${error}\n${hint}`,
  );

/**
 * pg_restore --single-transaction as the call's login (a role with its password over TCP) of the
 * dump's entries the call names (all when none), read by its table of contents as PostgreSQL 9.5
 * would take it: only a superuser makes an extension that is not there yet, only its owner comments
 * on one, a schema is made once; all of it, or, on an error, nothing.
 */
export function pgRestore(c: SimContainer, call: RestoreCall, dump: Buffer): Out {
  const { login, database } = call;
  const failed = (why: string): Out => fail(1, `pg_restore: [archiver (db)] connection to database "${database}" failed: ${why}\n`);
  const list = new Set(call.entries);
  let toc: DumpToc;
  try {
    toc = dumpTocOf(dump, 'standard input');
  } catch {
    return fail(1, 'pg_restore: [archiver] input file does not appear to be a valid archive\n');
  }
  const newest = newestArchive(serverVersionNum(c.image));
  if (Number(toc.version.split('.')[1]) > newest)
    return fail(1, `pg_restore: [archiver] unsupported version (${toc.version}) in file header\n`);
  if (!c.pg.ready)
    return failed(
      'could not connect to server: Connection refused\n\tIs the server running on host "127.0.0.1" and accepting\n\tTCP/IP connections on port 5432?',
    );
  if (c.pg.roles[login.user] !== login.password) return failed(`FATAL:  password authentication failed for user "${login.user}"`);
  const db = databasesOf(c, true)[database];
  if (!db) return failed(`FATAL:  database "${database}" does not exist`);
  const superuser = isSuperuser(c, login.user);
  let tables = 0;
  for (const e of toc.entries.filter((x) => !list.size || list.has(x.id))) {
    // plpgsql is in every database made from template1; IF NOT EXISTS then asks nothing more.
    if (e.desc === 'EXTENSION' && !superuser && ![...(db.extensions ?? []), 'plpgsql'].includes(e.tag)) {
      const refused = extensionRefused(c, db, login.user, false, e.tag);
      if (refused) return refusedEntry(e, refused.error, refused.hint ? `HINT:  ${refused.hint}\n` : undefined);
    }
    if (e.desc === 'COMMENT' && e.tag.startsWith('EXTENSION ') && !superuser)
      return refusedEntry(e, `must be owner of extension ${e.tag.slice('EXTENSION '.length)}`);
    if (e.desc === 'SCHEMA' && (db.schemas ?? []).includes(e.tag)) return refusedEntry(e, `schema "${e.tag}" already exists`);
    if (e.desc === 'TABLE') tables += 1;
  }
  db.tables += tables;
  db.loads.push({ bytes: dump.length, sha256: createHash('sha256').update(dump).digest('hex') });
  return ok();
}

const CREATE_SCHEMA = /^CREATE SCHEMA IF NOT EXISTS "((?:[^"]|"")+)" AUTHORIZATION "((?:[^"]|"")+)";$/;
const CREATE_EXTENSION = /^CREATE EXTENSION IF NOT EXISTS "((?:[^"]|"")+)" WITH SCHEMA "((?:[^"]|"")+)";$/;
const BUILT_IN_SCHEMAS = ['public', 'pg_catalog'];

const words = (text: string): Set<string> => new Set(text.split(/\s+/).filter(Boolean));

/** The extensions PostgreSQL 9.5 and its contrib package install (Dingo's image's share/extension). */
const AVAILABLE_95 = words(
  `adminpack autoinc btree_gin btree_gist chkpass citext cube dblink dict_int dict_xsyn earthdistance file_fdw fuzzystrmatch
   hstore insert_username intagg intarray isn lo ltree moddatetime pageinspect pg_buffercache pg_freespacemap pg_prewarm
   pg_stat_statements pg_trgm pgcrypto pgrowlocks pgstattuple plpgsql postgres_fdw refint seg sslinfo tablefunc tcn
   timetravel tsearch2 tsm_system_rows tsm_system_time unaccent uuid-ossp xml2`,
);

/** PostgreSQL 15's and its contrib's (Debian's postgresql-15, share/postgresql/15/extension): chkpass, timetravel and tsearch2 gone. */
const AVAILABLE_15 = words(
  `adminpack amcheck autoinc bloom btree_gin btree_gist citext cube dblink dict_int dict_xsyn earthdistance file_fdw fuzzystrmatch
   hstore insert_username intagg intarray isn lo ltree moddatetime old_snapshot pageinspect pg_buffercache pg_freespacemap
   pg_prewarm pg_stat_statements pg_surgery pg_trgm pg_visibility pg_walinspect pgcrypto pgrowlocks pgstattuple plpgsql
   postgres_fdw refint seg sslinfo tablefunc tcn tsm_system_rows tsm_system_time unaccent uuid-ossp xml2`,
);

/** Those 13 and later mark trusted (`trusted = true` in their control files): the owner of a database may make them there. */
const TRUSTED_13 = words(
  `btree_gin btree_gist citext cube dict_int fuzzystrmatch hstore intarray isn lo ltree pg_trgm pgcrypto plpgsql seg tablefunc
   tcn tsm_system_rows tsm_system_time unaccent uuid-ossp`,
);

/**
 * Why `user` may not make the extension `name` in `db`, as the image's major answers (its extensions,
 * the nearest the simulation knows; which of them 13 and later let a database's owner make), or
 * undefined. The server reads the control file first, so a missing one is named before any permission.
 */
function extensionRefused(
  c: SimContainer,
  db: SimDatabase,
  user: string,
  superuser: boolean,
  name: string,
): { error: string; hint?: string } | undefined {
  const num = serverVersionNum(c.image);
  if (!(num >= 150_000 ? AVAILABLE_15 : AVAILABLE_95).has(name)) {
    return {
      error: `could not open extension control file "/usr/share/postgresql/${majorOfImage(c.image)}/extension/${name}.control": No such file or directory`,
    };
  }
  if (superuser || (num >= 130_000 && TRUSTED_13.has(name) && db.owner === user)) return undefined;
  return { error: `permission denied to create extension "${name}"`, hint: 'Must be superuser to create this extension.' };
}

/**
 * A script of CREATE SCHEMA … AUTHORIZATION and CREATE EXTENSION in `database` (the load's superuser
 * part), all or nothing, as 9.5 runs it; undefined for any other script.
 */
export function extensionScript(c: SimContainer, user: string, database: string, script: string): Out | undefined {
  const lines = script.split('\n').map((l) => l.trim());
  const body = lines.filter((l) => l && l !== 'BEGIN;' && l !== 'COMMIT;');
  if (!body.length || !body.every((l) => CREATE_SCHEMA.test(l) || CREATE_EXTENSION.test(l))) return undefined;
  const db = databasesOf(c, true)[database];
  if (!db) return fail(2, `psql: FATAL:  database "${database}" does not exist\n`);
  const superuser = isSuperuser(c, user);
  const schemas = [...(db.schemas ?? [])];
  const extensions = [...(db.extensions ?? [])];
  const error = (n: number, why: string): Out => fail(3, `psql:<stdin>:${n + 1}: ERROR:  ${why}\n`);
  for (const [n, line] of lines.entries()) {
    let m = CREATE_SCHEMA.exec(line);
    if (m) {
      const [schema, owner] = [unquote(m[1]!, '"'), unquote(m[2]!, '"')];
      if (!superuser && db.owner !== user) return error(n, `permission denied for database ${database}`);
      if (!(owner in c.pg.roles)) return error(n, `role "${owner}" does not exist`);
      if (!schemas.includes(schema) && !BUILT_IN_SCHEMAS.includes(schema)) schemas.push(schema);
      continue;
    }
    m = CREATE_EXTENSION.exec(line);
    if (!m) continue;
    const [name, schema] = [unquote(m[1]!, '"'), unquote(m[2]!, '"')];
    if (extensions.includes(name) || name === 'plpgsql') continue;
    const refused = extensionRefused(c, db, user, superuser, name);
    if (refused) return error(n, refused.hint ? `${refused.error}\nHINT:  ${refused.hint}` : refused.error);
    if (!schemas.includes(schema) && !BUILT_IN_SCHEMAS.includes(schema)) return error(n, `schema "${schema}" does not exist`);
    extensions.push(name);
  }
  db.schemas = schemas;
  db.extensions = extensions;
  return ok();
}
