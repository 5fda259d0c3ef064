import { describe, expect, it } from 'vitest';
import { CellDocker } from '../../src/adapters/docker.js';
import { loginsFor, type PgLogin } from '../../src/adapters/postgres.js';
import { waitUntilPromoted, type PromotionPoll } from '../../src/adapters/postgres-promotion.js';
import { isInRecovery, pgIsReady } from '../../src/adapters/postgres-readiness.js';
import { reconcilePasswords } from '../../src/adapters/psql.js';
import { PSQL_VIA_STDIN } from '../../src/adapters/container-database.js';
import { StepFailed } from '../../src/core/errors.js';
import { CONTAINER, SUPERUSER_PASSWORD, sampleCell } from '../support/sample-cell.js';
import { simRunner } from '../support/sim-runner.js';
import { settled } from '../support/started.js';
import { Redactor } from '../../src/core/redact.js';
import { RECOVERY_QUERY } from '../../src/adapters/postgres-readiness.js';
import { VERSION_QUERY, recoveryPollQuery, replayQuery } from '../../src/adapters/postgres-replay.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';
import type { RestoringPg } from '../../src/rehearsal/restore-replay.js';

/** The SQL of a psql command (`-tAc SQL`), if it is one. */
const sqlOf = (spec: CommandSpec): string[] => {
  const at = spec.argv.indexOf('-tAc');
  return at < 0 ? [] : [spec.argv[at + 1]!];
};

function restoringCell(polls: number) {
  const state = sampleCell();
  const c = state.containers[CONTAINER]!;
  c.pg = { ...c.pg, ready: true, inRecovery: true, pollsUntilPromoted: polls };
  return state;
}

describe('PostgreSQL readiness through docker exec', () => {
  it('maps pg_isready exit codes', async () => {
    const state = sampleCell();
    const docker = new CellDocker(simRunner(state), { redactor: new Redactor() });
    expect(await pgIsReady(docker, CONTAINER)).toEqual({
      exitCode: 0,
      meaning: 'accepting',
      output: '127.0.0.1:5432 - accepting connections',
    });
    state.containers[CONTAINER]!.pg.ready = false;
    expect(await pgIsReady(docker, CONTAINER)).toMatchObject({ exitCode: 2, meaning: 'no-response' });
  });

  it('asks pg_is_in_recovery() with the password on stdin, never on the command line', async () => {
    const runner = simRunner(restoringCell(1));
    const docker = new CellDocker(runner, { redactor: new Redactor() });
    expect(await isInRecovery(docker, CONTAINER)).toBe(true);
    expect(await isInRecovery(docker, CONTAINER)).toBe(false);
    const psql = runner.specs.filter((s) => s.argv.includes(PSQL_VIA_STDIN));
    expect(psql).toHaveLength(2);
    for (const spec of runner.specs) expect(spec.argv.join(' ')).not.toContain(SUPERUSER_PASSWORD);
    expect(psql[0]!.stdin).toBe(`${SUPERUSER_PASSWORD}\n`);
    expect(psql[0]!.argv.slice(3)).toEqual([
      'exec',
      '-i',
      CONTAINER,
      'env',
      'PGOPTIONS=-c search_path=pg_catalog',
      'sh',
      '-c',
      PSQL_VIA_STDIN,
      'sh',
      'pgadmin',
      '-tAc',
      'select pg_is_in_recovery()',
    ]);
  });

  it('falls back to the local socket when the restored roles reject the new password', async () => {
    const state = sampleCell();
    state.containers[CONTAINER]!.pg.roles = { pgadmin: 'the-old-password' };
    const runner = simRunner(state);
    expect(await isInRecovery(new CellDocker(runner, { redactor: new Redactor() }), CONTAINER)).toBe(false);
    const last = runner.specs.at(-1)!;
    expect(last.argv.slice(3)).toEqual([
      'exec',
      '-i',
      '-u',
      'postgres',
      CONTAINER,
      'env',
      'PGOPTIONS=-c search_path=pg_catalog',
      'psql',
      '-X',
      '-w',
      '-d',
      'postgres',
      '-tAc',
      'select pg_is_in_recovery()',
    ]);
  });

  it('says which credentials to give when no login works, and uses a known old one', async () => {
    const state = sampleCell();
    state.containers[CONTAINER]!.pg.roles = { pgadmin: 'the-old-password' };
    state.containers[CONTAINER]!.pg.localTrust = false;
    const err = (await isInRecovery(new CellDocker(simRunner(state), { redactor: new Redactor() }), CONTAINER).catch(
      (e: unknown) => e,
    )) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain('password authentication failed for user "pgadmin"');
    expect(err.message).toContain('Peer authentication failed');
    expect(err.hint).toContain('secrets.oldSuperuserPassword');
    const old: PgLogin = { user: 'pgadmin', password: 'the-old-password' };
    const docker = new CellDocker(simRunner(state), { redactor: new Redactor() });
    expect(await isInRecovery(docker, CONTAINER, [{ user: 'pgadmin', password: 'wrong' }, old])).toBe(false);
  });
});

/** The polls of a wait on the cell RUNNER answers for; each pause runs BETWEEN (if given) and takes no time. */
async function pollsOn(runner: CommandRunner, between?: () => void): Promise<PromotionPoll[]> {
  const polls: PromotionPoll[] = [];
  const docker = new CellDocker(runner, { redactor: new Redactor() });
  const sleep = () => settled(() => between?.());
  await waitUntilPromoted(docker, CONTAINER, { deadlineMs: 60_000, intervalMs: 1000, onPoll: (p) => polls.push(p), sleep });
  return polls;
}

describe('waitUntilPromoted', () => {
  it('follows the chain State.Running → pg_isready 0 → pg_is_in_recovery() = f', async () => {
    const state = restoringCell(2);
    const c = state.containers[CONTAINER]!;
    c.running = false;
    c.pg.ready = false;
    const docker = new CellDocker(simRunner(state), { redactor: new Redactor() });
    const polls: PromotionPoll[] = [];
    const script = [
      () => {
        c.running = true;
      },
      () => {
        c.pg.ready = true;
      },
    ];
    const result = await waitUntilPromoted(docker, CONTAINER, {
      deadlineMs: 60_000,
      intervalMs: 1000,
      onPoll: (p) => polls.push(p),
      sleep: () =>
        settled(() => {
          script.shift()?.();
        }),
    });
    expect(polls.map((p) => p.stage)).toEqual(['not-running', 'not-ready', 'in-recovery', 'in-recovery', 'promoted']);
    expect(result).toEqual({ polls: 5, elapsedMs: 4000, login: { user: 'pgadmin', password: SUPERUSER_PASSWORD } });
  });

  it('asks one psql a poll in recovery: the replay location beside pg_is_in_recovery(), the version beside the first', async () => {
    const state = restoringCell(2);
    const replaying: RestoringPg = state.containers[CONTAINER]!.pg;
    replaying.replay = { from: '000000010000000000000002', to: '000000010000000000000005' };
    const runner = simRunner(state);
    const polls = await pollsOn(runner);
    expect(runner.specs.flatMap(sqlOf)).toEqual([
      recoveryPollQuery(),
      replayQuery(90519),
      recoveryPollQuery(90519),
      recoveryPollQuery(90519),
    ]);
    const at = (p: PromotionPoll) => (p.replay?.kind === 'position' ? p.replay.position.lsn : p.replay?.kind);
    expect(polls.map((p) => [p.stage, at(p)])).toEqual([
      ['in-recovery', '0/4000060'],
      ['in-recovery', '0/5000060'],
      ['promoted', undefined],
    ]);
  });

  it('asks pg_isready until psql has reached the server, and again once psql could not', async () => {
    const state = restoringCell(2);
    const c = state.containers[CONTAINER]!;
    const runner = simRunner(state);
    const script = [
      () => {
        c.pg.ready = false;
      },
      () => {
        c.pg.ready = true;
      },
    ];
    const polls = await pollsOn(runner, () => script.shift()?.());
    expect(polls.map((p) => [p.stage, p.detail])).toEqual([
      ['in-recovery', 'pg_is_in_recovery() = t'],
      ['not-ready', 'psql: could not connect to server: Connection refused'],
      ['in-recovery', 'pg_is_in_recovery() = t'],
      ['promoted', 'pg_is_in_recovery() = f'],
    ]);
    const asked = runner.specs.map((spec) =>
      spec.argv.includes('pg_isready')
        ? 'pg_isready'
        : sqlOf(spec).length
          ? 'psql'
          : spec.argv.includes('inspect')
            ? 'inspect'
            : spec.argv.join(' '),
    );
    expect(asked).toEqual(['inspect', 'pg_isready', 'psql', 'psql', 'inspect', 'psql', 'inspect', 'pg_isready', 'psql', 'inspect', 'psql']);
  });

  it('asks as before from the first poll a server refuses that row: pg_is_in_recovery() alone, the replay location apart', async () => {
    const sim = simRunner(restoringCell(2));
    const refused: string[] = [];
    const refusing = {
      ...sim,
      run: (spec: CommandSpec): Promise<CommandResult> => {
        const sql = sqlOf(spec)[0] ?? '';
        if (!sql.startsWith('select pg_is_in_recovery(), ')) return sim.run(spec);
        refused.push(sql);
        return Promise.resolve({
          exitCode: 1,
          stdout: '',
          stderr: 'ERROR:  permission denied for function pg_control_checkpoint\n',
          durationMs: 1,
        });
      },
    };
    const polls = await pollsOn(refusing);
    expect(refused).toEqual([recoveryPollQuery()]);
    expect(sim.specs.flatMap(sqlOf)).toEqual([
      RECOVERY_QUERY,
      VERSION_QUERY,
      replayQuery(90519),
      RECOVERY_QUERY,
      replayQuery(90519),
      RECOVERY_QUERY,
    ]);
    expect(polls.map((p) => p.stage)).toEqual(['in-recovery', 'in-recovery', 'promoted']);
  });

  it("takes the daemon's refusal of exec into a container it restarts for a poll of a container not running, for the watch to judge", async () => {
    const state = restoringCell(1);
    const c = state.containers[CONTAINER]!;
    const sim = simRunner(state);
    // Inspect saw it running; it exits before pg_isready, and Docker's restart policy holds it restarting.
    const racing = {
      ...sim,
      run: (spec: CommandSpec): Promise<CommandResult> => {
        // Between two attempts, for longer than the test takes (the cell's clock is this machine's here).
        if (spec.argv.includes('pg_isready'))
          c.crashLoop = { phase: 'restarting', at: new Date().toISOString(), delayMs: 3_600_000, attemptMs: 3000 };
        return sim.run(spec);
      },
    };
    const polls: PromotionPoll[] = [];
    const restarting = new Error('the watch saw it restarting');
    const err = await waitUntilPromoted(new CellDocker(racing, { redactor: new Redactor() }), CONTAINER, {
      deadlineMs: 60_000,
      intervalMs: 1000,
      sleep: async () => {},
      onPoll: (p) => polls.push(p),
      watch: (_poll, info) => (info.state.restarting ? Promise.reject(restarting) : Promise.resolve()),
    }).catch((e: unknown) => e);
    expect(err).toBe(restarting);
    expect(polls.map((p) => [p.stage, p.detail])).toEqual([['not-running', 'restarting (docker exec refused)']]);
    // The second poll asked no exec of a container inspect said restarts.
    expect(sim.specs.filter((spec) => spec.argv.includes('pg_isready'))).toHaveLength(1);
  });

  it('gives up at the deadline saying where it stood', async () => {
    const docker = new CellDocker(simRunner(restoringCell(100)), { redactor: new Redactor() });
    const err = (await waitUntilPromoted(docker, CONTAINER, { deadlineMs: 3000, intervalMs: 1000, sleep: async () => {} }).catch(
      (e: unknown) => e,
    )) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain('was not promoted within 3 s: last seen in-recovery');
    expect(err.hint).toContain('replaying WAL');
  });

  it('stops waiting for a container that exited, and points at the system ID mismatch it logged', async () => {
    const state = sampleCell();
    const c = state.containers[CONTAINER]!;
    c.running = false;
    c.exitCode = 1;
    c.finishedAt = '2016-03-18T01:00:00.000Z';
    c.logs.push('78218d-patroni> system ID mismatch, node cf-52167ceb belongs to a different cluster: 6263 != 6270');
    const err = (await waitUntilPromoted(new CellDocker(simRunner(state), { redactor: new Redactor() }), CONTAINER, {
      deadlineMs: 600_000,
      intervalMs: 1000,
      startGracePolls: 1,
      sleep: async () => {},
    }).catch((e: unknown) => e)) as StepFailed;
    expect(err.message).toContain('is not running: exited (exit code 1)');
    expect(err.message).toContain('system ID mismatch');
    expect(err.hint).toContain('/initialize');
  });
});

describe('reconcilePasswords', () => {
  it('sets passwords in one transaction through stdin', async () => {
    const state = sampleCell();
    const runner = simRunner(state);
    const docker = new CellDocker(runner, { redactor: new Redactor() });
    const roles = [
      { role: 'appuser', password: "new'app-pass" },
      { role: 'pgadmin', password: 'new-admin-pass' },
    ];
    await reconcilePasswords(docker, CONTAINER, roles, await loginsFor(docker, CONTAINER));
    expect(state.containers[CONTAINER]!.pg.roles).toEqual({ appuser: "new'app-pass", pgadmin: 'new-admin-pass' });
    const spec = runner.specs.at(-1)!;
    expect(spec.writes).toBe(true);
    expect(spec.argv.join(' ')).not.toContain('new-admin-pass');
    expect(spec.stdin).toContain(`ALTER ROLE "appuser" WITH PASSWORD 'new''app-pass';`);
  });

  it('changes nothing when a role is missing, and keeps passwords out of the error', async () => {
    const state = sampleCell();
    const docker = new CellDocker(simRunner(state), { redactor: new Redactor() });
    const roles = [
      { role: 'appuser', password: 'secret-one-1234' },
      { role: 'ghost', password: 'secret-two-5678' },
    ];
    const err = (await reconcilePasswords(docker, CONTAINER, roles, await loginsFor(docker, CONTAINER)).catch(
      (e: unknown) => e,
    )) as StepFailed;
    expect(err.message).toContain('role "ghost" does not exist');
    expect(err.message).not.toContain('secret-');
    expect(state.containers[CONTAINER]!.pg.roles.appuser).toBe('app-pass-0d9e8f7a');
  });
});
