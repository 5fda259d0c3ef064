/**
 * Waits poll soon at first and back off: 1 s, ×1.5 each time, up to the configured interval. A wait
 * ends when the platform is ready, not on the next tick of a 10 s grid.
 */
import { describe, expect, it } from 'vitest';
import { CfCli } from '../../src/adapters/cf/index.js';
import { FIRST_POLL_MS, pollDelays } from '../../src/core/poll-delays.js';
import { cellRestoreActions } from '../../src/actions/cell-restore.js';
import { StepFailed } from '../../src/core/errors.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { simulateCf } from '../../src/rehearsal/cf/index.js';
import { simRunner as cfRunner } from '../support/fake-cli/sim-runner.js';
import { CF_VERSIONS, NEW_GUID, cfWorld } from '../support/fake-cli/worlds.js';
import { simRunner as cellRunner } from '../support/sim-runner.js';
import { CONTAINER, sampleCell } from '../support/sample-cell.js';
import { settled } from '../support/started.js';
import { TestStore } from '../support/memory-store.js';
import { testRuntime } from '../support/runtime.js';
import { Redactor } from '../../src/core/redact.js';

function first(n: number, delays: Iterator<number>): number[] {
  return Array.from({ length: n }, () => delays.next().value as number);
}

describe('the poll schedule', () => {
  it('starts at 1 s and grows ×1.5 up to the configured interval, which it keeps', () => {
    expect(FIRST_POLL_MS).toBe(1000);
    expect(first(9, pollDelays(10_000))).toEqual([1000, 1500, 2250, 3375, 5063, 7594, 10_000, 10_000, 10_000]);
    expect(first(12, pollDelays(60_000)).at(-1)).toBe(60_000);
    expect(first(12, pollDelays(60_000)).every((d, i, all) => i === 0 || d >= all[i - 1]!)).toBe(true);
  });

  it('uses an interval under 1 s from the start', () => {
    expect(first(3, pollDelays(250))).toEqual([250, 250, 250]);
  });
});

async function createdService(pollsPerCreate: number) {
  const cf = new CfCli(
    cfRunner((spec) => simulateCf(world, spec)),
    { redactor: new Redactor() },
  );
  const world = cfWorld(CF_VERSIONS.v8, { pollsPerCreate });
  await cf.target('org', 'important-space-and-all-databases');
  await cf.createService('dingo-postgresql95', 'solo', 'important-db');
  return cf;
}

describe('cf.wait-service (CfCli.waitForService)', () => {
  it('ends when the create succeeds, after 1 s and 1.5 s rather than two 10 s intervals', async () => {
    const cf = await createdService(2);
    const slept: number[] = [];
    const seen: number[] = [];
    const status = await cf.waitForService('important-db', NEW_GUID, {
      intervalMs: 10_000,
      deadlineMs: 900_000,
      now: () => 0,
      sleep: (ms) => settled(() => void slept.push(ms)),
      onPoll: (_, p) => seen.push(p.elapsedMs),
    });
    expect(status.state).toBe('succeeded');
    expect(slept).toEqual([1000, 1500]);
    expect(seen).toEqual([0, 1000, 2500]);
  });

  it('backs off to the interval, which stays the cap, and stops at the deadline', async () => {
    const cf = await createdService(1000);
    const slept: number[] = [];
    const err = await cf
      .waitForService('important-db', NEW_GUID, {
        intervalMs: 10_000,
        deadlineMs: 60_000,
        now: () => 0,
        sleep: (ms) => settled(() => void slept.push(ms)),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toMatch(/still "create in progress" after 60 s/);
    expect(slept).toEqual([1000, 1500, 2250, 3375, 5063, 7594, 10_000, 10_000, 10_000, 9218]);
    expect(Math.max(...slept)).toBe(10_000);
    expect(slept.reduce((a, b) => a + b, 0)).toBe(60_000);
  });
});

const waitRestored = cellRestoreActions.find((a) => a.name === 'cell.wait-restored')!;
const OLD_PREFIX = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const RESTORED_SYSID = '6262220290876424268';

/** The context the wait-restored step runs in, on a simulated cell whose PostgreSQL replays for `polls` polls. */
function restoring(polls: number, settings: Partial<typeof DEFAULT_SETTINGS> = {}) {
  const state = sampleCell();
  const c = state.containers[CONTAINER]!;
  c.pg = { ...c.pg, ready: true, inRecovery: true, pollsUntilPromoted: polls, sysid: RESTORED_SYSID };
  const runner = cellRunner(state);
  const s3 = new TestStore('our-postgresql-backups');
  s3.add(`${OLD_PREFIX}sysids/sysid`, `${RESTORED_SYSID}\n`, new Date('2016-03-17T00:00:00Z'));
  const slept: number[] = [];
  const progress: string[] = [];
  const ctx = {
    settings: { ...DEFAULT_SETTINGS, ...settings },
    answers: { inputs: {}, confirm: {}, choose: {}, secrets: {} },
    cell: () =>
      settled(() => ({
        where: runner.where,
        run: (spec: Parameters<typeof runner.run>[0]) => runner.run(spec),
        etcd: () => Promise.reject(new Error('no etcd here')),
        close: () => Promise.resolve(),
      })),
    s3,
    sleep: (ms: number) => settled(() => void slept.push(ms)),
    progress: (text: string) => void progress.push(text),
    evidence: () => {},
    note: () => {},
    warn: () => {},
    // Time stands still but for the pauses: the figures on screen are the schedule's, whatever the machine's load.
    now: () => new Date('2026-01-01T00:00:00Z'),
    runtime: testRuntime(),
  } as unknown as StepContext;
  const params = { cellIp: '10.58.111.150', container: CONTAINER, archiveUrl: `s3://our-postgresql-backups/${OLD_PREFIX}` };
  return { ctx, params, slept, progress, pg: c.pg };
}

describe('cell.wait-restored', () => {
  it('looks again after 1 s, 1.5 s, 2.25 s…, so a quick restore is seen within seconds', async () => {
    const { ctx, params, slept, progress } = restoring(3);
    expect(await waitRestored.run(ctx, params, {})).toMatchObject({ promoted: true, systemIdentifier: RESTORED_SYSID });
    expect(slept).toEqual([1000, 1500, 2250]);
    expect(progress).toEqual([
      'waiting for pg_is_in_recovery() = f, 0.0 s: replaying the archive: replay position unknown (no WAL replayed yet), poll 1',
      'waiting for pg_is_in_recovery() = f, 1.0 s: replaying the archive: replay position unknown (no WAL replayed yet), poll 2',
      'waiting for pg_is_in_recovery() = f, 2.5 s: replaying the archive: replay position unknown (no WAL replayed yet), poll 3',
      'promoted after 4.8 s (pg_is_in_recovery() = f), poll 4',
    ]);
  });

  it('keeps the configured interval as the cap and gives up at the deadline, counting the pauses it took', async () => {
    const { ctx, params, slept } = restoring(1000, { restorePollMs: 10_000, restoreDeadlineMs: 60_000 });
    const err = await waitRestored.run(ctx, params, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toContain('was not promoted within 60 s: last seen in-recovery');
    expect(slept).toEqual([1000, 1500, 2250, 3375, 5063, 7594, 10_000, 10_000, 10_000, 9218]);
    expect(slept.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it('is not done while the server serves another database than the archive it restored, and says which', async () => {
    const { ctx, params, pg } = restoring(1);
    // Another database made before the container started (2016-03-15: its upper 32 bits), not one this start made.
    pg.sysid = '6262209914512345093';
    const err = await waitRestored.run(ctx, params, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `${CONTAINER} serves the database with system identifier 6262209914512345093, not the restored one: the archive ${params.archiveUrl} holds ${RESTORED_SYSID}`,
    );
    expect((err as StepFailed).hint).toContain('then resume');
  });

  it('polls at a configured interval under 1 s from the start', async () => {
    const { ctx, params, slept } = restoring(2, { restorePollMs: 200 });
    await waitRestored.run(ctx, params, {});
    expect(slept).toEqual([200, 200]);
  });
});
