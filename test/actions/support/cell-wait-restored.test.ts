import { describe, expect, it } from 'vitest';
import { describeReplay, describeRestorePoll } from '../../../src/actions/support/restore-progress.js';
import type { ReplayAnswer } from '../../../src/adapters/postgres-replay.js';
import { RestoreWatch } from '../../../src/actions/support/restore-watch.js';
import { initializedSince } from '../../../src/actions/support/served.js';
import type { RestorePlan } from '../../../src/actions/support/restore-plan.js';
import type { CellDocker, ContainerInfo, DatedLine } from '../../../src/adapters/docker.js';
import type { PromotionPoll } from '../../../src/adapters/postgres-promotion.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import { StepFailed } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';

const at = (lsn: string, versionNum = 90519, timeline?: number): ReplayAnswer => ({
  kind: 'position',
  position: { lsn, versionNum, ...(timeline === undefined ? {} : { timeline }) },
});

describe('how far the restore has come, in WAL segments', () => {
  it('names the 16 MiB segment holding the replay location, on the timeline of the last archived segment', () => {
    expect(describeReplay(at('0/3000060'), '000000010000000000000005')).toBe(
      'WAL segment 000000010000000000000003 of 000000010000000000000005 (2 to go)',
    );
    expect(describeReplay(at('0/2FFFFFF'), '000000020000000000000005')).toBe(
      'WAL segment 000000020000000000000002 of 000000020000000000000005 (3 to go)',
    );
    expect(describeReplay(at('1/A2000028'), '0000000100000001000000A2')).toBe(
      'WAL segment 0000000100000001000000A2 of 0000000100000001000000A2',
    );
  });

  it('takes the timeline the server gives (9.6+), and counts the segments 9.2 never uses (SEG FF) out', () => {
    expect(describeReplay(at('5/FE000000', 100004, 3), '000000030000000600000001')).toBe(
      'WAL segment 0000000300000005000000FE of 000000030000000600000001 (3 to go)',
    );
    expect(describeReplay(at('5/FE000000', 90224), '000000030000000600000001')).toBe(
      'WAL segment 0000000300000005000000FE of 000000030000000600000001 (2 to go)',
    );
  });

  it('shows the segment alone without the last archived one, and the LSN when no timeline is known', () => {
    expect(describeReplay(at('0/3000060', 100004, 1))).toBe('WAL segment 000000010000000000000003');
    expect(describeReplay(at('0/3000060', 100004, 1), '')).toBe('WAL segment 000000010000000000000003');
    expect(describeReplay(at('0/3000060'))).toBe('replayed up to 0/3000060');
    expect(describeReplay({ kind: 'unknown', detail: 'no WAL replayed yet' }, '000000010000000000000005')).toBe(
      'replay position unknown (no WAL replayed yet)',
    );
  });

  it('says what the wait awaits, for how long, and where it stands', () => {
    const poll = { attempt: 3, elapsedMs: 2500, stage: 'in-recovery', detail: 'pg_is_in_recovery() = t', replay: at('0/4000060') } as const;
    expect(describeRestorePoll(poll, '000000010000000000000005')).toBe(
      'waiting for pg_is_in_recovery() = f, 2.5 s: replaying the archive: WAL segment 000000010000000000000004 of 000000010000000000000005 (1 to go), poll 3',
    );
    expect(describeRestorePoll({ attempt: 1, elapsedMs: 0, stage: 'not-running', detail: 'created (exit code 0)' })).toBe(
      'waiting for pg_is_in_recovery() = f, 0.0 s: container not running yet (created (exit code 0)), poll 1',
    );
    expect(describeRestorePoll({ attempt: 5, elapsedMs: 75_000, stage: 'promoted', detail: '' })).toBe(
      'promoted after 1m15s (pg_is_in_recovery() = f), poll 5',
    );
  });
});

describe('the phase the container is in, and how many of how many', () => {
  it('counts the segments from the first one replay reads', () => {
    expect(describeReplay(at('0/3000060'), '000000010000000000000005', '000000010000000000000002')).toBe(
      'WAL segment 000000010000000000000003 of 000000010000000000000005 (2 of 4)',
    );
  });

  it("shows the container's own phase while PostgreSQL cannot answer yet", () => {
    const poll = { attempt: 2, elapsedMs: 4000, stage: 'not-ready', detail: 'no response' } as const;
    expect(describeRestorePoll(poll, undefined, 'fetching the base backup: partition 2 of 3')).toBe(
      'waiting for pg_is_in_recovery() = f, 4.0 s: fetching the base backup: partition 2 of 3; not accepting connections yet (no response), poll 2',
    );
  });
});

describe('what the restore wait reads of a container while PostgreSQL replays', () => {
  const PLAN: RestorePlan = {
    backup: null,
    partitions: null,
    expandedBytes: null,
    firstSegment: null,
    lastSegment: null,
    segments: null,
    pgMajor: null,
    deadlineMs: 60 * 60_000,
    basis: 'a test',
  };
  const INFO = { restartCount: 0, state: { startedAt: '2026-12-05T20:00:00.000000000Z', restarting: false } } as ContainerInfo;
  const replaying = (minutes: number): PromotionPoll => ({
    attempt: minutes + 1,
    elapsedMs: minutes * 60_000,
    stage: 'in-recovery',
    detail: 'pg_is_in_recovery() = t',
  });

  /** A watch of a container whose lines are LINES (as `docker logs` gives them, whatever --since asks), and how often it read them. */
  function watching(lines: DatedLine[]) {
    const reads = { count: 0 };
    const docker = {
      redactor: new Redactor(),
      datedLogs: () => {
        reads.count += 1;
        return Promise.resolve({ lines: [...lines] });
      },
    } as unknown as CellDocker;
    const ctx = { note: () => {} } as unknown as StepContext;
    const around = {
      leader: () => Promise.resolve(null),
      member: 'm',
      leaderKey: '/service/x/leader',
      archiveUrl: 's3://b/backups/x/wal/',
    };
    return { watch: new RestoreWatch(ctx, docker, 'cf-x', PLAN, around), reads };
  }

  it('reads its lines at the first poll that finds it replaying, not at the next ones, and once more before calling it stuck', async () => {
    const lines: DatedLine[] = [{ at: '2026-12-05T20:00:01.000000000Z', text: '78218d-patroni> before it replayed' }];
    const { watch, reads } = watching(lines);
    await watch.observe(replaying(0), INFO);
    lines.push({ at: '2026-12-05T20:01:00.000000000Z', text: '78218d-patroni> written while it replays' });
    await watch.observe(replaying(1), INFO);
    expect(reads.count).toBe(1);
    // 15 min with no move of replay: the lines written meanwhile are a change, read before it is called stuck.
    await watch.observe(replaying(16), INFO);
    expect(reads.count).toBe(2);
    const err = (await watch.observe(replaying(32), INFO).catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain('wrote nothing and PostgreSQL moved no further for 15 min');
    expect(err.message).toContain('written while it replays');
    expect(reads.count).toBe(3);
  });
});

describe('whether a database was made since a container started, from its system identifier', () => {
  // 6262209914512345093 >> 32 is 1458001... (2016-03-15): initdb's seconds since 1970.
  const made = (iso: string): string => ((BigInt(Math.floor(Date.parse(iso) / 1000)) << 32n) | 0x5a3n).toString();

  const NOW = new Date('2016-03-18T01:10:00Z');

  it('reads initdb time from the upper 32 bits, between the start and now', () => {
    expect(initializedSince(made('2016-03-18T01:05:31Z'), '2016-03-18T01:05:30.123456789Z', NOW)).toBe(true);
    expect(initializedSince(made('2016-03-18T01:05:30Z'), '2016-03-18T01:05:30.923456789Z', NOW)).toBe(true);
    expect(initializedSince(made('2016-03-18T01:05:29Z'), '2016-03-18T01:05:30.123456789Z', NOW)).toBe(false);
    expect(initializedSince('6262209914512345093', '2016-03-18T01:05:30Z', NOW)).toBe(false);
    // Made months after now: no database this start made.
    expect(initializedSince(made('2016-06-25T00:00:00Z'), '2016-03-18T01:05:30Z', NOW)).toBe(false);
  });

  it('is false for what is not a system identifier or not a time', () => {
    expect(initializedSince('', '2016-03-18T01:05:30Z', NOW)).toBe(false);
    expect(initializedSince('62622x', '2016-03-18T01:05:30Z', NOW)).toBe(false);
    expect(initializedSince(made('2016-03-18T01:05:31Z'), '', NOW)).toBe(false);
  });
});
