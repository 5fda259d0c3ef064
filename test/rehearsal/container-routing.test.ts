/**
 * Which calls to a container's database on a rehearsal's cell go to its real server (a scenario's
 * `postgres:`): a typed call (the live container database's command carries it) to that running
 * container, as the cell's sudo lets it run; everything else is the simulation's, which answers the
 * same typed call (sudo asking for a password, a stopped container, a container without a real
 * database), and never the command's shell text.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellDatabase } from '../../src/adapters/container-database.js';
import { CellDocker } from '../../src/adapters/docker.js';
import { Redactor } from '../../src/core/redact.js';
import type { CellSession, ContainerServer, ContainerServers, DatabaseCall, PsqlCall } from '../../src/core/seams.js';
import { World, loadScenario } from '../../src/rehearsal/world.js';
import { localMachine } from '../../src/commands/run/local-machine.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { tempDirs } from '../support/temp-dirs.js';

const newDir = tempDirs('container-routing-');
const CELL = '10.58.111.150';
const LIVE = 'cf-c8ce128e-7b4c-4fe7-a533-e9379356f906';
const OTHER = 'cf-e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b';

/** The bad-write world on a cell whose sudo may ask a password, its real servers a recorder. */
async function cellOf(sudoNeedsPassword = false) {
  const scenario = loadScenario(resolve(import.meta.dirname, '../../fixtures/bad-write'));
  scenario.initial.cells[CELL]!.sudoNeedsPassword = sudoNeedsPassword;
  const calls: { server: ContainerServer; call: DatabaseCall }[] = [];
  const servers: ContainerServers = {
    run: (server, call) => {
      calls.push({ server, call });
      return Promise.resolve({ exitCode: 0, stdout: 'real\n', stderr: '', durationMs: 0 });
    },
    close: () => Promise.resolve(),
  };
  const world = World.open(newDir(), scenario);
  const session = await world.platform(scenario, openLogSource, localMachine, servers).cells.open(CELL);
  return { world, session, calls };
}

const query = (container: string): PsqlCall => ({
  kind: 'psql',
  container,
  login: { user: 'appuser', password: 'live-app-password-Hw63' },
  mode: 'query',
  sql: 'select 1',
  catalogOnly: false,
});

/** psql in `container` through the live container database, on the session's cell. */
const psql = (session: CellSession, container: string, binary = 'docker') =>
  cellDatabase(new CellDocker(session, { binary, redactor: new Redactor() })).psql(query(container), { writes: false });

describe("a rehearsal cell's commands", () => {
  it('send a psql in the running container with a real database to its server, with the container it is', async () => {
    const { session, calls } = await cellOf();
    expect((await psql(session, LIVE)).stdout).toBe('real\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.server).toMatchObject({
      name: LIVE,
      major: '15',
      seed: join(resolve(import.meta.dirname, '../../fixtures/bad-write'), 'live.sql'),
      nextXid: 5003,
    });
    expect(calls[0]!.call).toEqual(query(LIVE));
  });

  it("leave to the simulation what the cell's sudo refuses, a stopped container and one without a real database", async () => {
    const refused = await cellOf(true);
    await expect(psql(refused.session, LIVE)).rejects.toThrow(/^sudo on cell 10.58.111.150 needs a password/);
    expect(refused.calls).toEqual([]);

    const { world, session, calls } = await cellOf();
    expect((await psql(session, OTHER)).stderr).toContain('password authentication failed for user "appuser"');
    const other = cellDatabase(new CellDocker(session, { redactor: new Redactor() }));
    const pgadmin = { user: 'pgadmin', password: 'other-tenant-superuser-pw-4471' };
    expect((await other.psql({ ...query(OTHER), login: { ...pgadmin, password: 'not-it' } }, { writes: false })).stderr).toBe(
      'psql: FATAL:  password authentication failed for user "pgadmin"\n',
    );
    expect((await other.psql({ ...query(OTHER), login: pgadmin, sql: 'select pg_is_in_recovery()' }, { writes: false })).stdout).toBe(
      'f\n',
    );
    const rows = await other.psql({ ...query(OTHER), login: pgadmin, mode: 'rows' }, { writes: false });
    expect(rows.stderr).toContain(`the simulated container ${OTHER} holds no rows of its tables to read`);
    world.state.cells[CELL]!.containers[LIVE]!.running = false;
    await expect(psql(session, LIVE)).rejects.toThrow(/Container \S+ is not running/);
    expect(calls).toEqual([]);
  });
});
