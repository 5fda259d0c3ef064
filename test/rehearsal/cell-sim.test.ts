import { describe, expect, it } from 'vitest';
import { CellDocker, DOCKER_BINARY, DOCKER_HOST } from '../../src/adapters/docker.js';
import { Redactor } from '../../src/core/redact.js';
import { StepFailed } from '../../src/core/errors.js';
import type { PsqlCall } from '../../src/core/seams.js';
import { simulateCell } from '../../src/rehearsal/cell-sim.js';
import { recoveryPollQuery } from '../../src/adapters/postgres-replay.js';
import { AWS_SECRET, CONTAINER, DATA_DIR, sampleCell } from '../support/sample-cell.js';
import { simRunner } from '../support/sim-runner.js';

const NOW = new Date('2016-03-18T01:05:00.000Z');

describe('CellDocker against the simulated cell', () => {
  it('inspects a container: state, env, mounts, data dir, and registers secrets at once', async () => {
    const runner = simRunner(sampleCell(), { now: () => NOW });
    const redactor = new Redactor();
    const info = await new CellDocker(runner, { redactor }).inspect(CONTAINER);
    expect(info).not.toBeNull();
    expect(info!.name).toBe(CONTAINER);
    expect(info!.id).toMatch(/^0abe124b987d/);
    expect(info!.image).toBe('cfcommunity/postgresql-patroni:9.5');
    expect(info!.state).toMatchObject({ running: true, status: 'running', exitCode: 0, startedAt: '2016-03-18T00:41:00.000Z' });
    expect(info!.state.pid).toBeGreaterThan(0);
    expect(info!.env.PATRONI_SCOPE).toBe('78218ded-7d88-4d69-bd44-6f478c300134');
    expect(info!.env.ETCD_HOST_PORT).toBe('10.58.111.149:4001');
    expect(info!.dataDir).toBe(DATA_DIR);
    expect(redactor.redact(`key ${AWS_SECRET}`)).toBe('key [REDACTED]');
    expect(runner.specs[0]).toEqual({
      argv: [DOCKER_BINARY, '--host', DOCKER_HOST, 'inspect', '--type', 'container', CONTAINER],
      writes: false,
      sudo: true,
    });
  });

  it('answers null for a container that does not exist', async () => {
    const runner = simRunner(sampleCell());
    expect(await new CellDocker(runner, { redactor: new Redactor() }).inspect('cf-nope')).toBeNull();
  });

  it('stops and starts with write specs, calling the hooks', async () => {
    const state = sampleCell();
    const events: string[] = [];
    const runner = simRunner(state, {
      now: () => NOW,
      onStop: (c) => events.push(`stop ${c.name}`),
      onStart: (c) => events.push(`start ${c.name}`),
    });
    const docker = new CellDocker(runner, { redactor: new Redactor() });
    await docker.stop(CONTAINER, { timeoutSeconds: 10 });
    expect(state.containers[CONTAINER]).toMatchObject({ running: false, exitCode: 137, finishedAt: NOW.toISOString() });
    // Stopping a stopped container succeeds and changes nothing, as Docker answers 304.
    await docker.stop(CONTAINER);
    await docker.start(CONTAINER);
    expect(state.containers[CONTAINER]!.running).toBe(true);
    expect(events).toEqual([`stop ${CONTAINER}`, `start ${CONTAINER}`]);
    expect(runner.specs.filter((s) => s.writes).map((s) => s.argv.slice(3, 5))).toEqual([
      ['stop', '-t'],
      ['stop', '-t'],
      ['start', CONTAINER],
    ]);
  });

  it('surfaces daemon errors with what to do', async () => {
    const docker = new CellDocker(simRunner(sampleCell()), { redactor: new Redactor() });
    const err = await docker.start('cf-gone').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toContain(
      'docker start cf-gone on cell 10.58.111.150 (simulated) failed: No such container: cf-gone',
    );
    expect((err as StepFailed).hint).toContain('docker ps -a');
  });

  it('explains "client is newer than server"', async () => {
    const runner = {
      where: 'cell 10.58.111.150',
      run: () =>
        Promise.resolve({
          exitCode: 1,
          stdout: '',
          stderr: 'Error response from daemon: client is newer than server (client API version: 1.24, server API version: 1.23)\n',
          durationMs: 1,
        }),
    };
    const err = (await new CellDocker(runner, { redactor: new Redactor(), binary: '/usr/bin/docker' })
      .inspect(CONTAINER)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err.message).toContain('client is newer than server');
    expect(err.hint).toContain('DOCKER_API_VERSION');
    expect(err.hint).toContain(DOCKER_BINARY);
  });

  it('passes DOCKER_API_VERSION as environment when asked', async () => {
    const runner = simRunner(sampleCell());
    await new CellDocker(runner, { redactor: new Redactor(), apiVersion: '1.23', sudo: false }).inspect(CONTAINER);
    expect(runner.specs[0]).toMatchObject({ env: { DOCKER_API_VERSION: '1.23' }, sudo: false, writes: false });
  });

  it('reads logs with --tail and refuses exec in a stopped container', async () => {
    const state = sampleCell();
    const docker = new CellDocker(simRunner(state), { redactor: new Redactor() });
    expect(await docker.logs(CONTAINER, { tail: 1, since: '2016-03-18T00:00:00Z' })).toBe('52167c-patroni> starting PostgreSQL\n');
    state.containers[CONTAINER]!.running = false;
    const err = (await docker.exec(CONTAINER, ['pg_isready']).catch((e: unknown) => e)) as StepFailed;
    expect(err.message).toMatch(/exec in cf-52167ceb.* failed: Container 0abe124b987d\S* is not running/);
  });

  it('reports sudo that wants a password', async () => {
    const state = { ...sampleCell(), sudoNeedsPassword: true };
    const err = (await new CellDocker(simRunner(state), { redactor: new Redactor() })
      .inspect(CONTAINER)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain('needs a password');
    expect(err.hint).toContain('NOPASSWD');
  });
});

describe('simulateCell details', () => {
  it('prints Docker 1.11 error formats and unknown commands as a shell would', () => {
    const state = sampleCell();
    const inspect = simulateCell(state, { argv: ['docker', 'inspect', 'x'], writes: false });
    expect(inspect).toMatchObject({ exitCode: 1, stdout: '[]\n', stderr: 'Error: No such container: x\n' });
    const stop = simulateCell(state, { argv: ['docker', 'stop', 'x'], writes: true });
    expect(stop.stderr).toBe('Error response from daemon: No such container: x\nError: failed to stop containers: [x]\n');
    expect(simulateCell(state, { argv: ['rm', '-rf', '/'], writes: true })).toMatchObject({ exitCode: 127 });
    expect(simulateCell(state, { argv: ['sudo', '-n', 'test', '-e', DATA_DIR], writes: false }).exitCode).toBe(0);
  });

  it("answers a psql call as the container's postgres account over its socket, by the call, whatever the command's text", () => {
    const state = sampleCell();
    const call: PsqlCall = {
      kind: 'psql',
      container: CONTAINER,
      login: { user: 'postgres', socket: true },
      mode: 'query',
      sql: 'select pg_is_in_recovery()',
      catalogOnly: true,
    };
    const psql = () => simulateCell(state, { argv: ['docker', 'exec', CONTAINER, 'anything'], writes: false, database: { call } });
    expect(psql()).toMatchObject({ exitCode: 0, stdout: 'f\n' });
    state.containers[CONTAINER]!.pg.localTrust = false;
    expect(psql()).toMatchObject({ exitCode: 2, stderr: 'psql: FATAL:  Peer authentication failed for user "postgres"\n' });
    // Without its call, the same command is a program the container does not have.
    expect(simulateCell(state, { argv: ['docker', 'exec', CONTAINER, 'anything'], writes: false }).exitCode).toBe(127);
  });

  it('answers pg_is_in_recovery() with a question beside it in one row, and a row it cannot answer fails whole, the node no further on', () => {
    const state = sampleCell();
    const c = state.containers[CONTAINER]!;
    c.pg = { ...c.pg, inRecovery: true, pollsUntilPromoted: 2 };
    const ask = (sql: string) =>
      simulateCell(state, {
        argv: ['docker', 'exec', CONTAINER, 'psql'],
        writes: false,
        database: {
          call: { kind: 'psql', container: CONTAINER, login: { user: 'postgres', socket: true }, mode: 'query', sql, catalogOnly: true },
        },
      });
    expect(ask(recoveryPollQuery())).toMatchObject({ exitCode: 0, stdout: 't|90519\n' });
    expect(ask(recoveryPollQuery(100004))).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('does not answer') });
    expect(c.pg.pollsUntilPromoted).toBe(1);
    expect(ask(recoveryPollQuery(90519))).toMatchObject({ exitCode: 0, stdout: 't|\n' });
    expect(ask(recoveryPollQuery(90519))).toMatchObject({ exitCode: 0, stdout: 'f|\n' });
  });
});
