import { describe, expect, it } from 'vitest';
import {
  VERSION_QUERY,
  VERSION_SELECT,
  besideRecovery,
  parseReplayRow,
  recoveryPollQuery,
  replayProbe,
  replayQuery,
  versionNumOf,
} from '../../src/adapters/postgres-replay.js';
import { Redactor } from '../../src/core/redact.js';
import type { CommandResult } from '../../src/core/seams.js';

const answer = (stdout: string, exitCode = 0, stderr = ''): CommandResult => ({ exitCode, stdout, stderr, durationMs: 1 });

describe('the replay location of a restoring server', () => {
  it('asks pg_last_xlog_replay_location() on 9.x and pg_last_wal_replay_lsn() from 10, with the timeline from 9.6', () => {
    expect(replayQuery(90519)).toBe('select pg_last_xlog_replay_location()');
    expect(replayQuery(90224)).toBe('select pg_last_xlog_replay_location()');
    expect(replayQuery(90600)).toBe('select pg_last_xlog_replay_location(), timeline_id from pg_control_checkpoint()');
    expect(replayQuery(100004)).toBe('select pg_last_wal_replay_lsn(), timeline_id from pg_control_checkpoint()');
    expect(replayQuery(150002)).toBe('select pg_last_wal_replay_lsn(), timeline_id from pg_control_checkpoint()');
  });

  it('asks pg_is_in_recovery() in the same row: beside the version until it is known, then beside the replay location', () => {
    expect(recoveryPollQuery()).toBe("select pg_is_in_recovery(), current_setting('server_version_num')");
    expect(recoveryPollQuery(90519)).toBe('select pg_is_in_recovery(), pg_last_xlog_replay_location()');
    expect(recoveryPollQuery(100004)).toBe(
      'select pg_is_in_recovery(), pg_last_wal_replay_lsn(), timeline_id from pg_control_checkpoint()',
    );
    expect(besideRecovery(recoveryPollQuery())).toBe(VERSION_SELECT);
    expect(besideRecovery(recoveryPollQuery(100004))).toBe(replayQuery(100004));
    expect(besideRecovery('select pg_is_in_recovery()')).toBeUndefined();
    expect(versionNumOf('90519\n')).toBe(90519);
    expect(versionNumOf('9.5')).toEqual({ detail: 'server_version_num is "9.5"' });
  });

  it('reads psql -tA rows: an LSN, an LSN and a timeline, or NULL before any replay', () => {
    expect(parseReplayRow('0/3000060\n', 90519)).toEqual({ kind: 'position', position: { lsn: '0/3000060', versionNum: 90519 } });
    expect(parseReplayRow('1/a2000028|3\n', 100004)).toEqual({
      kind: 'position',
      position: { lsn: '1/A2000028', timeline: 3, versionNum: 100004 },
    });
    expect(parseReplayRow('\n', 90519)).toEqual({ kind: 'unknown', detail: 'no WAL replayed yet' });
    expect(parseReplayRow('|1\n', 100004)).toEqual({ kind: 'unknown', detail: 'no WAL replayed yet' });
    expect(parseReplayRow('t\n', 90519)).toMatchObject({ kind: 'unknown', detail: 'unexpected replay location "t"' });
  });

  it('learns the server version once, then asks the query of that version on every poll', async () => {
    const asked: string[] = [];
    const query = (sql: string) => {
      asked.push(sql);
      return Promise.resolve(answer(sql === VERSION_QUERY ? '100004\n' : `0/${asked.length}000000|1\n`));
    };
    const probe = replayProbe(new Redactor());
    expect(await probe(query)).toMatchObject({ kind: 'position', position: { lsn: '0/2000000', timeline: 1 } });
    expect(await probe(query)).toMatchObject({ kind: 'position', position: { lsn: '0/3000000' } });
    expect(asked).toEqual([VERSION_QUERY, replayQuery(100004), replayQuery(100004)]);
  });

  it('asks no version when given one', async () => {
    const asked: string[] = [];
    const probe = replayProbe(new Redactor(), 90519);
    expect(await probe((sql) => (asked.push(sql), Promise.resolve(answer('0/3000060\n'))))).toMatchObject({ kind: 'position' });
    expect(asked).toEqual([replayQuery(90519)]);
  });

  it('says what went wrong instead of failing the wait it only decorates', async () => {
    const refused = () => Promise.resolve(answer('', 1, 'ERROR:  permission denied for function pg_last_xlog_replay_location\nmore'));
    expect(await replayProbe(new Redactor())((sql) => (sql === VERSION_QUERY ? Promise.resolve(answer('90519\n')) : refused()))).toEqual({
      kind: 'unknown',
      detail: '`select pg_last_xlog_replay_location()`: psql exit 1: ERROR:  permission denied for function pg_last_xlog_replay_location',
    });
    expect(await replayProbe(new Redactor())(() => Promise.reject(new Error('psql in c could not log in')))).toEqual({
      kind: 'unknown',
      detail: 'psql in c could not log in',
    });
    expect(await replayProbe(new Redactor())(() => Promise.resolve(answer('nine\n')))).toEqual({
      kind: 'unknown',
      detail: 'server_version_num is "nine"',
    });
  });
});
