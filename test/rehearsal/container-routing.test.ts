/**
 * Which commands on a rehearsal's cell go to a container's real server (a scenario's `postgres:`):
 * a psql or pg_restore that the docker CLI execs in that running container, as the cell's sudo lets
 * it run; everything else is the simulation's, which answers as before (sudo asking for a password,
 * another program, a stopped container, a container without a real database).
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PSQL_VIA_STDIN } from '../../src/adapters/psql.js';
import type { CommandSpec, ContainerClientCall, ContainerServer, ContainerServers } from '../../src/core/seams.js';
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
  const calls: { server: ContainerServer; call: ContainerClientCall }[] = [];
  const servers: ContainerServers = {
    exec: (server, call) => {
      calls.push({ server, call });
      return Promise.resolve({ exitCode: 0, stdout: 'real\n', stderr: '', durationMs: 0 });
    },
    close: () => Promise.resolve(),
  };
  const world = World.open(newDir(), scenario);
  const session = await world.platform(scenario, openLogSource, localMachine, servers).cells.open(CELL);
  return { world, session, calls };
}

const psql = (container: string, program = 'docker'): CommandSpec => ({
  argv: ['sudo', '-n', program, 'exec', '-i', container, 'sh', '-c', PSQL_VIA_STDIN, 'sh', 'appuser', '-At', '-c', 'select 1'],
  stdin: 'live-app-password-Hw63\n',
  writes: false,
});

describe("a rehearsal cell's commands", () => {
  it('send a psql in the running container with a real database to its server, with the container it is', async () => {
    const { session, calls } = await cellOf();
    expect((await session.run(psql(LIVE))).stdout).toBe('real\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.server).toMatchObject({
      name: LIVE,
      major: '15',
      seed: join(resolve(import.meta.dirname, '../../fixtures/bad-write'), 'live.sql'),
      nextXid: 5003,
    });
    expect(calls[0]!.call).toEqual({ program: 'psql', local: false, args: ['appuser', '-At', '-c', 'select 1'], env: [] });
    expect(session.simulatesRows?.(LIVE)).toBe(false);
    expect(session.simulatesRows?.(OTHER)).toBe(true);
  });

  it("leave to the simulation what the cell's sudo refuses, another program, a stopped container and one without a real database", async () => {
    const refused = await cellOf(true);
    const r = await refused.session.run(psql(LIVE));
    expect(r.stderr).toBe('sudo: a password is required\n');
    expect(refused.calls).toEqual([]);

    const { world, session, calls } = await cellOf();
    expect((await session.run(psql(LIVE, 'podman'))).stderr).toBe('sh: 1: podman: not found\n');
    expect((await session.run(psql(OTHER))).stderr).toContain('password authentication failed for user "appuser"');
    world.state.cells[CELL]!.containers[LIVE]!.running = false;
    expect((await session.run(psql(LIVE))).stderr).toMatch(/^Error response from daemon: Container \S+ is not running/);
    expect(calls).toEqual([]);
  });
});
