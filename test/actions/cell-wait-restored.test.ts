import { describe, expect, it } from 'vitest';
import { cellActions } from '../../src/actions/cell.js';
import { describeReplay, describeRestorePoll } from '../../src/actions/support/cell.js';
import type { ReplayAnswer } from '../../src/adapters/postgres-replay.js';
import type { CommandSpec } from '../../src/core/seams.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { answerReplayQuery, replayOfArchive, RESTORE_POLLS, type RestoringPg } from '../../src/rehearsal/restore.js';
import { CONTAINER, sampleCell } from '../support/sample-cell.js';
import { simRunner } from '../support/sim-runner.js';
import { settled } from '../support/started.js';
import { TestStore } from '../support/memory-store.js';
import { testRuntime } from '../support/runtime.js';

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

function sysidStore(sysid: string): TestStore {
  const s3 = new TestStore('our-postgresql-backups');
  s3.add('backups/x/wal/sysids/sysid', `${sysid}\n`, new Date('2016-03-17T00:00:00Z'));
  return s3;
}

describe('cell.wait-restored on a simulated cell that replays the archive', () => {
  const waitRestored = cellActions.find((a) => a.name === 'cell.wait-restored')!;

  /** The cell, its container restoring 0/02 … 0/05 as the simulated patroni does, psql's replay queries answered by restore.ts. */
  function restoringCell() {
    const state = sampleCell();
    const c = state.containers[CONTAINER]!;
    const prefix = 'backups/x/wal/';
    const replay = replayOfArchive(
      [
        `${prefix}basebackups_005/base_000000010000000000000002_00000040_backup_stop_sentinel.json`,
        ...['2', '3', '4', '5'].map((n) => `${prefix}wal_005/00000001000000000000000${n}.lzo`),
      ],
      prefix,
    );
    const pg: RestoringPg = {
      ...c.pg,
      ready: true,
      inRecovery: true,
      pollsUntilPromoted: RESTORE_POLLS,
      replay,
      sysid: '6262220290876424268',
    };
    c.pg = pg;
    const cell = simRunner(state);
    return {
      where: cell.where,
      run: (spec: CommandSpec) => {
        const sql = spec.argv.at(-2) === '-tAc' ? spec.argv.at(-1) : undefined;
        const answer = sql === undefined ? undefined : answerReplayQuery(c.pg, sql);
        return answer ? settled(() => ({ ...answer, durationMs: 1 })) : cell.run(spec);
      },
    };
  }

  it('shows the segment replayed and the last archived one as it goes', async () => {
    const runner = restoringCell();
    const progress: string[] = [];
    const ctx = {
      settings: DEFAULT_SETTINGS,
      answers: { inputs: {}, confirm: {}, choose: {}, secrets: {} },
      s3: sysidStore('6262220290876424268'),
      cell: () => settled(() => ({ ...runner, etcd: () => Promise.reject(new Error('no etcd here')), close: () => Promise.resolve() })),
      sleep: () => settled(() => undefined),
      progress: (text: string) => void progress.push(text.replace(/, \d+\.\d s:/, ':')),
      evidence: () => {},
      note: () => {},
      now: () => new Date(),
      runtime: testRuntime(),
    } as unknown as StepContext;
    const params = {
      cellIp: '10.58.111.150',
      container: CONTAINER,
      lastSegment: '000000010000000000000005',
      archiveUrl: 's3://our-postgresql-backups/backups/x/wal/',
    };
    expect(await waitRestored.run(ctx, params, {})).toEqual({ promoted: true, systemIdentifier: '6262220290876424268' });
    const replaying = 'waiting for pg_is_in_recovery() = f: replaying the archive: WAL segment';
    expect(progress).toEqual([
      `${replaying} 000000010000000000000003 of 000000010000000000000005 (2 to go), poll 1`,
      `${replaying} 000000010000000000000004 of 000000010000000000000005 (1 to go), poll 2`,
      `${replaying} 000000010000000000000005 of 000000010000000000000005, poll 3`,
      expect.stringMatching(/^promoted after \d+\.\d s \(pg_is_in_recovery\(\) = f\), poll 4$/),
    ]);
  });
});
