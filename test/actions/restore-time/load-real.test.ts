/**
 * A dump loaded into a real PostgreSQL 15 behind the new service's container (cell-with-postgres.ts):
 * the role apps bind with logs in and loads it, so a function of the tenant's that the load runs (here
 * a CHECK evaluated on every row COPY writes) and that goes back to its session's own role, as any
 * function may (RESET ROLE), has that role's powers, never a superuser's.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, databaseHolds, pgRestore } from '../../../src/adapters/pg-load.js';
import { appLogin, loginChain } from '../../../src/adapters/postgres.js';
import { fileStdin } from '../../../src/core/stdin.js';
import { dumpDatabases, type DumpFacts } from '../../../src/volumes/look.js';
import { restoreTimeLoadActions } from '../../../src/actions/restore-time/load.js';
import { loadContext } from '../../support/load-context.js';
import { cellWithPostgres, type CellWithPostgres } from '../../merge/cell-with-postgres.js';
import { makeCluster, makeDump } from '../../support/pg-volumes.js';
import { CONTAINER, NEW_GUID } from '../../support/sample-cell.js';

const load = restoreTimeLoadActions.find((a) => a.name === 'pitr.load-dumps')!;

let work: string;
let dump: DumpFacts;
let extended: DumpFacts;
let cell: CellWithPostgres | undefined;

/**
 * A table whose CHECK calls a function that resets the role and writes down who it is then, and an
 * operator NOT LIKE of two names (PostgreSQL has none: name NOT LIKE text) that writes down who calls it:
 * an unqualified `nspname not like 'pg\\_%'` in a session whose search_path reaches public finds it.
 */
const HOSTILE = `CREATE TABLE public.spied (who text, superuser bool);
CREATE FUNCTION public.spy(k int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN
  RESET ROLE;
  INSERT INTO public.spied SELECT current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user;
  RETURN true; END $$;
CREATE TABLE public.orders (id int PRIMARY KEY CHECK (public.spy(id)), note text);
INSERT INTO public.orders SELECT g, 'order ' || g FROM generate_series(1, 3) g;
CREATE FUNCTION public.notlike(a name, b name) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN
  INSERT INTO public.spied SELECT current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user;
  RETURN a::text NOT LIKE b::text; END $$;
CREATE OPERATOR public.!~~ (LEFTARG = name, RIGHTARG = name, FUNCTION = public.notlike);
TRUNCATE public.spied;`;

/**
 * Extensions the role apps bind with may not make: pg_buffercache is no trusted extension (only a
 * superuser makes it), and only an extension's owner may COMMENT ON it, which pg_dump writes for each;
 * hstore goes in a schema of the tenant's.
 */
const EXTENDED = `CREATE SCHEMA extensions;
CREATE EXTENSION hstore WITH SCHEMA extensions;
CREATE EXTENSION pg_buffercache;
CREATE TABLE public.prefs (id int PRIMARY KEY, p extensions.hstore);
INSERT INTO public.prefs VALUES (1, 'theme=>dark'), (2, 'lang=>fr');`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pitr-load-real-'));
  chmodSync(work, 0o755);
  const data = join(work, 'data');
  await makeCluster(data, 'shop', HOSTILE, 'stop');
  const scratch = mkdtempSync(join(work, 'scratch-'));
  chmodSync(scratch, 0o755);
  dump = (await dumpDatabases({ dataDir: data, major: '15', workDir: scratch, databases: ['shop'], outDir: join(work, 'dumps') }))[0]!;
  extended = await makeDump(work, 'prefs', EXTENDED);
  cell = await cellWithPostgres(join(work, 'cell'));
}, 120_000);

afterAll(() => {
  cell?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const inServer = (db: string, sql: string): string => cell!.psql(db, sql);

it("runs the tenant's functions with the powers of the role apps bind with, which it loads as", async () => {
  const docker = cell!.docker();
  const info = (await docker.inspect(CONTAINER))!;
  const apps = appLogin(info, docker.redactor)!;
  await createDatabase(docker, CONTAINER, loginChain(info, docker.redactor), 'shop', apps.user);
  const r = await pgRestore(docker, CONTAINER, apps, { database: 'shop', dump: fileStdin(dump.file) });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  expect(inServer('shop', 'SELECT count(*) FROM public.orders').trim()).toBe('3');
  // Each row COPY wrote was checked by the function, which found itself the role apps bind with, no superuser.
  expect(inServer('shop', 'SELECT who, superuser, count(*) FROM public.spied GROUP BY 1, 2').trim()).toBe('appuser|f|3');
  // The superuser's probe of what the database holds (a resume's, and the check after the load) calls no operator of the tenant's.
  expect(await databaseHolds(docker, CONTAINER, loginChain(info, docker.redactor), 'shop')).toEqual({ exists: true, tables: 2 });
  expect(inServer('shop', 'SELECT who, superuser, count(*) FROM public.spied GROUP BY 1, 2').trim()).toBe('appuser|f|3');
  expect(inServer('shop', "SELECT pg_catalog.pg_get_userbyid(relowner) FROM pg_catalog.pg_class WHERE relname = 'orders'").trim()).toBe(
    'appuser',
  );
}, 120_000);

it('loads a dump with extensions only a superuser may make: the superuser makes them first, the role apps bind with loads the rest', async () => {
  const { ctx, notes } = loadContext(() => Promise.resolve(cell!.session));
  const params = { cellIp: '10.58.111.150', container: CONTAINER, instanceGuid: NEW_GUID, dumps: [extended] };
  expect(await load.run(ctx, params, {})).toEqual({ loaded: ['prefs'] });
  expect(inServer('prefs', 'SELECT count(*) FROM public.prefs').trim()).toBe('2');
  const made = `SELECT e.extname, pg_catalog.pg_get_userbyid(e.extowner), n.nspname FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1`;
  expect(inServer('prefs', made).trim()).toBe('hstore|pgadmin|extensions\npg_buffercache|pgadmin|public');
  const owners = `SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = 'extensions'
    UNION ALL SELECT pg_catalog.pg_get_userbyid(relowner) FROM pg_catalog.pg_class WHERE relname = 'prefs'`;
  expect(inServer('prefs', owners).trim()).toBe('appuser\nappuser');
  expect(notes.join('\n')).toContain(
    'extension(s) hstore (in extensions), pg_buffercache (in public) made by the superuser before the load',
  );
}, 120_000);

it("loads, on a resume, a database a cut load left holding only the extensions the superuser made and an extension's own table", async () => {
  // As a load cut after the superuser's part leaves it, with an extension that makes a table of its own
  // (PostGIS's spatial_ref_sys; here pg_buffercache, given one as PostGIS's script gives it its own).
  inServer('postgres', 'CREATE DATABASE prefs_cut OWNER appuser');
  inServer(
    'prefs_cut',
    `CREATE SCHEMA extensions AUTHORIZATION appuser; CREATE EXTENSION hstore WITH SCHEMA extensions; CREATE EXTENSION pg_buffercache;
     CREATE TABLE public.spatial_ref_sys (srid int PRIMARY KEY); ALTER EXTENSION pg_buffercache ADD TABLE public.spatial_ref_sys;`,
  );
  const { ctx, notes } = loadContext(() => Promise.resolve(cell!.session));
  // The copy's row counts name the extension's table too, as a copy with PostGIS's holds it.
  const cut = { ...extended, database: 'prefs_cut', rowCounts: { ...extended.rowCounts, 'public.spatial_ref_sys': 0 } };
  const params = { cellIp: '10.58.111.150', container: CONTAINER, instanceGuid: NEW_GUID, dumps: [cut] };
  expect(await load.run(ctx, params, {})).toEqual({ loaded: ['prefs_cut'] });
  expect(inServer('prefs_cut', 'SELECT count(*) FROM public.prefs').trim()).toBe('2');
  expect(inServer('postgres', "SELECT count(*) FROM pg_catalog.pg_database WHERE datname LIKE 'prefs_cut%'").trim()).toBe('1');
  expect(notes.join('\n')).not.toContain('moved aside');
  expect(notes.join('\n')).toContain('prefs_cut: loaded');
}, 120_000);
