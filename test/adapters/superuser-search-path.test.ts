/**
 * The superuser's sessions in a patroni container (a REAL PostgreSQL 15 behind the cell's container,
 * ../merge/cell-with-postgres.ts) look up names in pg_catalog alone, whatever the database says: the
 * owner of a database (the role apps bind with owns the ones a load makes, and the tenant owns theirs)
 * may ALTER DATABASE … SET search_path = public, pg_catalog, and then an unqualified name in a
 * superuser's query would find the tenant's function first and run it with the superuser's powers.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase } from '../../src/adapters/pg-load.js';
import { appLogin, loginChain, type PgLogin } from '../../src/adapters/postgres.js';
import { psqlAs, psqlWithChain } from '../../src/adapters/psql.js';
import { cellWithPostgres, type CellWithPostgres } from '../merge/cell-with-postgres.js';
import { CONTAINER } from '../support/sample-cell.js';

let work: string;
let cell: CellWithPostgres | undefined;

/** The tenant's: its database looks in public first, where a pg_is_in_recovery() writes down who calls it. */
const TENANT = `ALTER DATABASE shop SET search_path = public, pg_catalog;
CREATE TABLE public.called (who text, superuser bool);
CREATE FUNCTION public.pg_is_in_recovery() RETURNS bool LANGUAGE sql AS $$
  INSERT INTO public.called SELECT current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user RETURNING false $$;`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'superuser-search-path-'));
  chmodSync(work, 0o755);
  cell = await cellWithPostgres(join(work, 'cell'));
  const docker = cell.docker();
  const info = (await docker.inspect(CONTAINER))!;
  await createDatabase(docker, CONTAINER, loginChain(info, docker.redactor), 'shop', appLogin(info, docker.redactor)!.user);
  cell.psql('shop', TENANT, 'appuser');
}, 120_000);

afterAll(() => {
  cell?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const called = (): string => cell!.psql('shop', 'SELECT who, superuser FROM public.called').trim();

it.each<[string, (info: PgLogin) => PgLogin[]]>([
  ['the new superuser with its password', (superuser) => [superuser]],
  ['a known old login after a refused one', (superuser) => [{ user: superuser.user, password: 'not-this-one' }, superuser]],
  [
    'the postgres OS account over the local socket',
    () => [
      { user: 'pgadmin', password: 'not-this-one' },
      { user: 'postgres', socket: true },
    ],
  ],
])("a superuser's session (%s) finds pg_catalog's functions, never the tenant's", async (_how, chainOf) => {
  const docker = cell!.docker();
  const info = (await docker.inspect(CONTAINER))!;
  const chain = chainOf(loginChain(info, docker.redactor)[0]!);
  const accepted = chain.at(-1);
  const { result, login } = await psqlWithChain(docker, CONTAINER, chain, {
    database: 'shop',
    mode: 'query',
    sql: "select pg_is_in_recovery(), pg_catalog.current_setting('search_path')",
    writes: false,
  });
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe('f|pg_catalog');
  expect(login).toBe(accepted);
  expect(called()).toBe('');
});

it('the role apps bind with keeps the search_path its database gives it: its own functions are written for it', async () => {
  const docker = cell!.docker();
  const apps = appLogin((await docker.inspect(CONTAINER))!, docker.redactor)!;
  const result = await psqlAs(docker, CONTAINER, apps, {
    database: 'shop',
    mode: 'query',
    sql: "select pg_is_in_recovery(), pg_catalog.current_setting('search_path')",
    writes: false,
    catalogOnly: false,
  });
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe('f|public, pg_catalog');
  expect(called()).toBe('appuser|f');
});
