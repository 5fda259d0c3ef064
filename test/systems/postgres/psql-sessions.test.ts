/**
 * Our statements to a scratch server go through psql sessions kept open in its sandbox
 * (systems/postgres/psql-sessions.ts), on a real PostgreSQL 15: one backend answers a role's statements
 * on a database one after another, each text reaches the server as `psql -c` would send it, nothing a
 * statement set outlives it, an error is the statement's own and the next one opens another session,
 * and no session outlives its server, its idle time or the cap on how many are open.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psqlRows, type Endpoint } from '../../../src/systems/postgres/index.js';
import { clientEnv, unprivilegedClientEnv } from '../../../src/systems/pg-sandbox.js';
import { freshTestCluster } from '../../support/fresh-cluster.js';
import { PG_BIN } from '../../support/pg-volumes.js';
import { processesOf } from '../../support/pg-sandbox-watch.js';
import { procFile } from '../../support/proc.js';
import { openTestPostgres, type TestPostgres } from '../../support/test-postgres.js';

let dir: string;
let pg: TestPostgres;
let endpoint: Endpoint;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psql-sessions-'));
  // Its account reads the bin folder of an old psql's made here.
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  await freshTestCluster(PG_BIN, data);
  pg = await openTestPostgres({ dataDir: data, bin: PG_BIN, readable: [dir] });
  await pg.scratch.sandbox.permit('reader');
  await pg.start();
  await pg.psql('postgres', ['-c', 'create database shop', '-c', 'create role reader login']);
  endpoint = pg.scratch.endpoint(PG_BIN);
}, 120_000);

afterAll(async () => {
  try {
    await pg.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const as = (sql: string, database = 'postgres', user = 'postgres', env = clientEnv()): Promise<string[][]> =>
  psqlRows(endpoint, { user, database, sql, env });

/** The client backends of the server but the asking one, counted by a psql of its own. */
async function otherClients(): Promise<number> {
  const out = await pg.psql('postgres', [
    '-A',
    '-t',
    '-c',
    "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
  ]);
  return Number(out.trim());
}

/** The server's sandbox account's psql processes on this machine. */
const psqlsRunning = (): number[] =>
  processesOf(pg.scratch.account.uid).filter((pid) => procFile(pid, 'cmdline').split('\0')[0]!.endsWith('/psql'));

describe('psql sessions of a scratch server', () => {
  it("answers a role's statements on a database in one backend, and nothing one statement set is seen by the next", async () => {
    const [first] = (await as('select pg_backend_pid()'))[0]!;
    const set =
      "set role reader; set search_path = public; create temp table t(a int); select current_user, current_setting('search_path')";
    expect(await as(set)).toEqual([['reader', 'public']]);
    expect(await as("select current_user, current_setting('search_path'), pg_catalog.to_regclass('pg_temp.t') is null")).toEqual([
      ['postgres', 'pg_catalog,pg_temp', 't'],
    ]);
    expect(await as('select pg_backend_pid()')).toEqual([[first]]);
    // Another database's statements, or another role's, are another session's.
    expect(await as('select pg_backend_pid()', 'shop')).not.toEqual([[first]]);
    const reader = await as(
      "select current_user, current_setting('transaction_read_only')",
      'postgres',
      'reader',
      unprivilegedClientEnv(undefined, true),
    );
    expect(reader).toEqual([['reader', 'on']]);
  });

  it('sends a text as psql -c does: one transaction, its backslashes, :names and dollar quotes for the server to read', async () => {
    expect(await as("select pg_catalog.set_config('x.y', 'local', true); select current_setting('x.y')")).toEqual([['local'], ['local']]);
    expect(await as("select $$\\echo :foo$$, 'a\\b', $x$ $q $x$")).toEqual([['\\echo :foo', 'a\\b', ' $q ']]);
  });

  it("fails a statement with the server's words, and the next statement opens another session", async () => {
    const [before] = (await as('select pg_backend_pid()'))[0]!;
    await expect(as('select :foo')).rejects.toThrow(/syntax error at or near ":"/);
    await expect(as('select 1/0')).rejects.toThrow(/division by zero/);
    const [after] = (await as('select pg_backend_pid()'))[0]!;
    expect(after).not.toBe(before);
  });

  it("keeps its session open past a database's idle_session_timeout, however long psql takes to send the first statement", async () => {
    // A database of its own: no session of ours on it predates its setting.
    await pg.psql('postgres', ['-c', 'create database idle', '-c', "alter database idle set idle_session_timeout = '200ms'"]);
    const [first] = (await as('select pg_backend_pid()', 'idle'))[0]!;
    expect(await as('show idle_session_timeout', 'idle')).toEqual([['0']]);
    await new Promise((r) => setTimeout(r, 600));
    const [second] = (await as('select pg_backend_pid()', 'idle'))[0]!;
    expect(second).toBe(first);
    // The reader's sessions too, a role that is no superuser.
    await pg.psql('postgres', ['-c', "alter role reader set idle_session_timeout = '200ms'"]);
    try {
      const reader = (): Promise<string[][]> =>
        as('select pg_backend_pid(), current_setting($$idle_session_timeout$$)', 'idle', 'reader', unprivilegedClientEnv());
      const [[pid, setting]] = (await reader()) as [[string, string]];
      expect(setting).toBe('0');
      await new Promise((r) => setTimeout(r, 600));
      expect((await reader())[0]![0]).toBe(pid);
    } finally {
      // The role is the other tests' reader too.
      await pg.psql('postgres', ['-c', 'alter role reader reset idle_session_timeout']);
    }
  });

  it('keeps at most two sessions open, closes one left idle, and none outlives its server', async () => {
    await as('select 1', 'postgres');
    await as('select 1', 'shop');
    await as('select 1', 'template1');
    expect(await otherClients()).toBeLessThanOrEqual(2);
    expect(psqlsRunning().length).toBeLessThanOrEqual(2);
    // Idle for two seconds, each is closed; looked for a while, whatever the machine's load.
    const until = Date.now() + 20_000;
    while ((await otherClients()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    expect(await otherClients()).toBe(0);
    expect(psqlsRunning()).toEqual([]);
    await as('select 1');
    expect(psqlsRunning().length).toBe(1);
    await pg.stop('fast');
    expect(psqlsRunning()).toEqual([]);
    await pg.start();
    expect(await as('select 2')).toEqual([['2']]);
  });

  it('lets its server stop while a statement runs, which fails as a psql of its own would', async () => {
    const caught = as('select pg_catalog.pg_sleep(600)', 'shop').catch((err: unknown) => err);
    const running = async (): Promise<boolean> =>
      (
        await pg.psql('postgres', [
          '-A',
          '-t',
          '-c',
          "select count(*) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()",
        ])
      ).trim() !== '0';
    while (!(await running())) await new Promise((r) => setTimeout(r, 100));
    await pg.stop('fast');
    expect(String(await caught)).toMatch(/terminating connection due to administrator command|server closed the connection/);
    expect(psqlsRunning()).toEqual([]);
    await pg.start();
  });

  it('runs each statement in a psql of its own where psql has no \\gexec (before 9.6)', async () => {
    const old = join(dir, 'old-psql');
    mkdirSync(old);
    writeFileSync(
      join(old, 'psql'),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo 'psql (PostgreSQL) 9.5.25'; exit 0; fi\nexec ${PG_BIN}/psql "$@"\n`,
      { mode: 0o755 },
    );
    const e = pg.scratch.endpoint(old);
    const pid = async (): Promise<string> =>
      (await psqlRows(e, { user: 'postgres', database: 'postgres', sql: 'select pg_backend_pid()', env: clientEnv() }))[0]![0]!;
    expect(await pid()).not.toBe(await pid());
  });
});
