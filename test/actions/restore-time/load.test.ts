/**
 * pitr.load-dumps against the simulated cell, with a real pg_dump -Fc file made by PostgreSQL 15:
 * the dump goes into `docker exec -i … pg_restore` as bytes behind the password line of the role apps bind with
 * (never on the command line), the database is created for the role apps bind with, and a run
 * again after an interruption probes first: a database already holding the dump's tables is not
 * loaded twice, one holding others is moved aside, and the postgres database is the operator's call.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreTimeLoadActions } from '../../../src/actions/restore-time/load.js';
import { readDumpToc } from '../../../src/adapters/pg-dump-toc.js';
import { simulateCell, type CellSpec } from '../../../src/rehearsal/cell-sim.js';
import { dumpArchive } from '../../support/dump-archive.js';
import { NeedsOperator, StepFailed } from '../../../src/core/errors.js';
import { stdinBytes } from '../../../src/core/stdin.js';
import type { CellWorld } from '../../../src/rehearsal/cell-sim.js';
import type { CommandSpec } from '../../../src/core/seams.js';
import { dumpDatabases, type DumpFacts } from '../../../src/volumes/look.js';
import { makeCluster } from '../../support/pg-volumes.js';
import { APP_PASSWORD, CONTAINER, NEW_GUID, SUPERUSER_PASSWORD, sampleCell } from '../../support/sample-cell.js';
import { simRunner } from '../../support/sim-runner.js';
import { settled } from '../../support/started.js';
import { loadContext } from '../../support/load-context.js';

const load = restoreTimeLoadActions.find((a) => a.name === 'pitr.load-dumps')!;
const CELL = '10.58.111.150';

let work: string;
let dump: DumpFacts;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pitr-load-'));
  chmodSync(work, 0o755);
  const data = join(work, 'data');
  await makeCluster(
    data,
    'shop',
    `CREATE TABLE orders (id int primary key, note text);
     INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 500) g;
     CREATE SCHEMA audit; CREATE TABLE audit.events (at timestamptz, what bytea);
     INSERT INTO audit.events SELECT now(), decode(lpad(to_hex(g % 256), 2, '0'), 'hex') FROM generate_series(0, 1023) g;`,
    'stop',
  );
  const scratch = mkdtempSync(join(work, 'scratch-'));
  chmodSync(scratch, 0o755);
  const dumps = await dumpDatabases({ dataDir: data, major: '15', workDir: scratch, databases: ['shop'], outDir: join(work, 'dumps') });
  dump = dumps[0]!;
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** pg_restore of `dump` into `database` of the container, as the role apps bind with: the command's typed call, as the simulated cell answers it. */
function restoreSpec(database: string, dump: Buffer): CellSpec {
  const call = {
    kind: 'restore' as const,
    container: CONTAINER,
    login: { user: 'appuser', password: APP_PASSWORD },
    database,
    entries: [],
  };
  return { argv: ['docker', 'exec', '-i', CONTAINER, 'pg_restore'], writes: true, database: { call, dump } };
}

function harness(state: CellWorld, opts: { choose?: Record<string, string>; database?: string; dump?: DumpFacts } = {}) {
  const runner = simRunner(state);
  // As the rehearsal's session does (world.ts): the simulation answers once it has read the whole input.
  const { ctx, notes, decided } = loadContext(
    () =>
      settled(() => ({
        where: runner.where,
        // A call to the container's database is answered from its typed call and a restore's dump, read alone.
        run: async (spec: CommandSpec) =>
          runner.run(
            spec.database
              ? { ...spec, stdin: undefined, database: { call: spec.database.call, dump: await stdinBytes(spec.database.dump) } }
              : { ...spec, ...(spec.stdin === undefined ? {} : { stdin: await stdinBytes(spec.stdin) }) },
          ),
        etcd: () => Promise.reject(new Error('no etcd here')),
        close: () => Promise.resolve(),
      })),
    opts.choose,
  );
  const params = {
    cellIp: CELL,
    container: CONTAINER,
    instanceGuid: NEW_GUID,
    dumps: [{ ...(opts.dump ?? dump), database: opts.database ?? (opts.dump ?? dump).database }],
  };
  return { runner, notes, decided, run: () => load.run(ctx, params, {}) };
}

/** The sample cell, its container's image running PostgreSQL 15, as the dumps of these tests' pg_dump need. */
function cell15(): CellWorld {
  const state = sampleCell();
  state.containers[CONTAINER]!.image = 'cfcommunity/postgresql-patroni:15';
  return state;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('pitr.load-dumps on a simulated cell, with a real dump', () => {
  it('creates the database for the role apps bind with and streams the dump in, byte for byte, password on stdin only', async () => {
    expect(dump.rowCounts).toEqual({ 'audit.events': 1024, 'public.orders': 500 });
    const state = cell15();
    const h = harness(state);
    expect(await h.run()).toEqual({ loaded: ['shop'] });
    const pg = state.containers[CONTAINER]!.pg;
    const file = readFileSync(dump.file);
    expect(pg.databases!.shop).toEqual({ owner: 'appuser', tables: 2, loads: [{ bytes: file.length, sha256: sha256(file) }] });
    const restore = h.runner.specs.find((s) => s.argv.includes('--single-transaction'))!;
    expect(restore.argv).toContain('-i');
    // The role apps bind with logs in and creates every object, in one transaction: no superuser's session
    // (which a function of the tenant's could RESET ROLE back to) runs the load.
    expect(restore.argv.slice(-8)).toEqual([
      'sh',
      'appuser',
      '--exit-on-error',
      '--single-transaction',
      '--no-owner',
      '--no-acl',
      '-d',
      'shop',
    ]);
    for (const s of h.runner.specs) expect(s.argv.join(' ')).not.toMatch(new RegExp(`${SUPERUSER_PASSWORD}|${APP_PASSWORD}`));
    // The call the command makes: the entries to restore (all of a dump without extensions), the dump whole.
    expect(restore.database?.call).toEqual({
      kind: 'restore',
      container: CONTAINER,
      login: { user: 'appuser', password: APP_PASSWORD },
      database: 'shop',
      entries: readDumpToc(dump.file).entries.map((e) => e.id),
    });
    expect((restore.database?.dump as Buffer).equals(file)).toBe(true);
    expect(h.notes.join('\n')).toContain('shop: loaded');
  }, 60_000);

  it('run again after the load finished, leaves the database as it is (never loaded twice)', async () => {
    const state = cell15();
    await harness(state).run();
    const again = harness(state);
    expect(await again.run()).toEqual({ loaded: ['shop'] });
    expect(state.containers[CONTAINER]!.pg.databases!.shop!.loads).toHaveLength(1);
    expect(again.runner.specs.some((s) => s.argv.includes('--single-transaction'))).toBe(false);
    expect(again.notes.join('\n')).toContain("already holds the dump's 2 table(s)");
  }, 60_000);

  it('moves aside a database holding other tables, and loads into a fresh one', async () => {
    const state = cell15();
    state.containers[CONTAINER]!.pg.databases = {
      postgres: { owner: 'postgres', tables: 0, loads: [] },
      shop: { owner: 'appuser', tables: 1, loads: [] },
    };
    const h = harness(state);
    await h.run();
    const dbs = state.containers[CONTAINER]!.pg.databases;
    expect(Object.keys(dbs).sort()).toEqual(['postgres', 'shop', 'shop-aside-20261125T130000Z']);
    expect(dbs['shop-aside-20261125T130000Z']).toMatchObject({ tables: 1 });
    expect(dbs.shop).toMatchObject({ tables: 2, loads: [expect.anything()] });
    expect(h.notes.join('\n')).toContain('moved aside as shop-aside-20261125T130000Z (never dropped)');
  }, 60_000);

  it('asks the operator before loading into a postgres database that already holds tables', async () => {
    const state = cell15();
    state.containers[CONTAINER]!.pg.databases = { postgres: { owner: 'postgres', tables: 3, loads: [] } };
    const err = await harness(state, { database: 'postgres' })
      .run()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeedsOperator);
    expect((err as NeedsOperator).message).toContain('database postgres of');
    // Nothing chose it and no terminal asks (--yes): the run waits with the runbook's hint for the choice.
    expect((err as NeedsOperator).hint).toMatch(
      /^choose one of yes, no \(the candidates of loadIntoPostgres\): the runbook's hint for loadIntoPostgres; .*choose: \{loadIntoPostgres: VALUE\}.*; --yes never chooses$/,
    );
    expect(state.containers[CONTAINER]!.pg.databases.postgres!.loads).toEqual([]);
    const allowed = harness(state, { database: 'postgres', choose: { loadIntoPostgres: 'yes' } });
    expect(await allowed.run()).toEqual({ loaded: ['postgres'] });
    expect(allowed.decided).toEqual([
      expect.objectContaining({ key: 'loadIntoPostgres', value: 'yes', by: 'choose.loadIntoPostgres in the answers file' }),
    ]);
    expect(state.containers[CONTAINER]!.pg.databases.postgres).toMatchObject({ tables: 5, loads: [expect.anything()] });
  }, 60_000);

  it('refuses a container that does not serve the new instance, loading nothing', async () => {
    const state = cell15();
    const c = state.containers[CONTAINER]!;
    c.env = c.env.map((e) => (e.startsWith('PATRONI_SCOPE=') ? 'PATRONI_SCOPE=someone-else' : e));
    const h = harness(state);
    await expect(h.run()).rejects.toThrow(`does not serve the new instance ${NEW_GUID}`);
    expect(c.pg.databases).toBeUndefined();
  });

  it('refuses a container that names no password of the role apps bind with, loading nothing as a superuser', async () => {
    const state = cell15();
    const c = state.containers[CONTAINER]!;
    c.env = c.env.filter((e) => !e.startsWith('APPUSER_PASSWORD='));
    const h = harness(state);
    const err = (await h.run().catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toBe(
      `container ${CONTAINER} names no APPUSER_USERNAME and APPUSER_PASSWORD: there is no role apps bind with to load the dumps as`,
    );
    expect(err.hint).toContain(`pg_restore --no-owner --no-acl -U ROLE -d DB FILE; the files: ${dump.file}`);
    expect(c.pg.databases).toBeUndefined();
    expect(h.runner.specs.some((s) => s.argv.some((a) => a.includes('pg_restore')))).toBe(false);
  });
});

describe('a dump with extensions, on the simulated cell (PostgreSQL 9.5)', () => {
  /** What 9.x's pg_dump writes for a database using hstore (the table of contents is all the cell reads). */
  const extended = (): DumpFacts => {
    const file = join(work, 'prefs.dump');
    const bytes = dumpArchive(12, [
      { id: 1, desc: 'EXTENSION', tag: 'plpgsql', defn: 'CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;\n' },
      { id: 5, desc: 'COMMENT', tag: 'EXTENSION plpgsql', defn: "COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';\n" },
      { id: 2, desc: 'EXTENSION', tag: 'hstore', defn: 'CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;\n' },
      {
        id: 6,
        desc: 'COMMENT',
        tag: 'EXTENSION hstore',
        defn: "COMMENT ON EXTENSION hstore IS 'data type for storing sets of (key, value) pairs';\n",
      },
      { id: 3, desc: 'TABLE', tag: 'prefs', namespace: 'public', defn: 'CREATE TABLE prefs (id integer, p hstore);\n' },
      { id: 4, desc: 'TABLE DATA', tag: 'prefs', namespace: 'public' },
    ]);
    writeFileSync(file, bytes);
    return { database: 'prefs', file, bytes: bytes.length, rowCounts: { 'public.prefs': 2 } };
  };

  it('has the superuser make the extensions, and the role apps bind with load the rest', async () => {
    const state = sampleCell();
    const h = harness(state, { dump: extended() });
    expect(await h.run()).toEqual({ loaded: ['prefs'] });
    expect(state.containers[CONTAINER]!.pg.databases!.prefs).toMatchObject({ owner: 'appuser', tables: 1, extensions: ['hstore'] });
    expect(h.notes.join('\n')).toContain('extension(s) plpgsql (in pg_catalog), hstore (in public) made by the superuser before the load');
  });

  it('refuses, as 9.5 does, the whole dump loaded by the role apps bind with', async () => {
    const state = cell15();
    await harness(state).run();
    state.containers[CONTAINER]!.image = 'cfcommunity/postgresql-patroni:9.5';
    const r = simulateCell(state, restoreSpec('shop', readFileSync(extended().file)));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('ERROR:  must be owner of extension plpgsql');
  });

  it("makes extensions as the image's major does: 15's own list, its trusted ones by a database's owner, 9.5's only by a superuser", async () => {
    const state = cell15();
    await harness(state).run();
    /** The extension made in shop by the role apps bind with, which owns it. */
    const make = (name: string) =>
      simulateCell(state, {
        argv: ['docker', 'exec', '-i', CONTAINER, 'psql'],
        writes: true,
        database: {
          call: {
            kind: 'psql',
            container: CONTAINER,
            login: { user: 'appuser', password: APP_PASSWORD },
            database: 'shop',
            mode: 'script',
            sql: `BEGIN;\nCREATE EXTENSION IF NOT EXISTS "${name}" WITH SCHEMA "public";\nCOMMIT;\n`,
            catalogOnly: false,
          },
        },
      });
    expect(make('pgcrypto').exitCode).toBe(0);
    expect(state.containers[CONTAINER]!.pg.databases!.shop!.extensions).toEqual(['pgcrypto']);
    expect(make('postgres_fdw').stderr).toContain('ERROR:  permission denied to create extension "postgres_fdw"');
    expect(make('chkpass').stderr).toContain(
      'ERROR:  could not open extension control file "/usr/share/postgresql/15/extension/chkpass.control": No such file or directory',
    );
    state.containers[CONTAINER]!.image = 'cfcommunity/postgresql-patroni:9.5';
    expect(make('hstore').stderr).toContain('ERROR:  permission denied to create extension "hstore"');
  });

  it('refuses, before anything is made, a dump of a newer pg_dump than the service runs', async () => {
    const state = sampleCell();
    const h = harness(state);
    const err = (await h.run().catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toMatch(
      /^the dump of shop \(.*shop\.dump\) was made by pg_dump 15\.\d+.* \(archive 1\.14\); the new service runs PostgreSQL 9\.5, whose pg_restore cannot read a newer pg_dump's archive/,
    );
    expect(err.hint).toContain(
      'dumps for a service of PostgreSQL 9.5 are made by pg_dump 9.5: install its client here (postgresql-client-9.5',
    );
    expect(state.containers[CONTAINER]!.pg.databases).toBeUndefined();
    expect(h.runner.specs.some((s) => s.writes)).toBe(false);
    // And the cell's own pg_restore, given it anyway, says what 9.5's says.
    const r = simulateCell(state, restoreSpec('postgres', readFileSync(dump.file)));
    expect(r).toMatchObject({ exitCode: 1, stderr: 'pg_restore: [archiver] unsupported version (1.14) in file header\n' });
  });
});
