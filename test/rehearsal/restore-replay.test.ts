import { describe, expect, it } from 'vitest';
import { VERSION_QUERY, replayQuery } from '../../src/adapters/postgres-replay.js';
import {
  RESTORE_POLLS,
  SIM_SERVER_VERSION_NUM,
  answerReplayQuery,
  replayOfArchive,
  type RestoringPg,
} from '../../src/rehearsal/restore.js';

const PREFIX = 'backups/6e101b27/wal/';
const ARCHIVE = [
  `${PREFIX}wal_005/000000010000000000000001.lzo`,
  `${PREFIX}basebackups_005/base_000000010000000000000002_00000040_backup_stop_sentinel.json`,
  `${PREFIX}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt`,
  `${PREFIX}wal_005/000000010000000000000002.lzo`,
  `${PREFIX}wal_005/000000010000000000000002.00000028.backup.lzo`,
  `${PREFIX}wal_005/000000010000000000000005.lzo`,
  `${PREFIX}wal_005/0000000100000000000000FF.lzo`,
  `${PREFIX}wal_005/000000010000000100000000.lzo`,
  `backups/other/wal/wal_005/000000010000000200000000.lzo`,
];

function restoring(polls: number): RestoringPg {
  const replay = replayOfArchive(ARCHIVE, PREFIX);
  return { ready: true, inRecovery: true, pollsUntilPromoted: polls, roles: {}, replay };
}

const replayed = (pg: RestoringPg): string | undefined => answerReplayQuery(pg, replayQuery(SIM_SERVER_VERSION_NUM))?.stdout;

describe('the simulated restore replays the archive', () => {
  it("replays from LATEST's first segment to the archive's last one, under its own prefix only", () => {
    expect(replayOfArchive(ARCHIVE, PREFIX)).toEqual({ from: '000000010000000000000002', to: '000000010000000100000000' });
    expect(replayOfArchive(ARCHIVE.slice(0, 1), PREFIX)).toBeUndefined();
  });

  it('answers the 9.5 version and replay queries as psql -tA prints them, moving through the segments poll by poll', () => {
    expect(answerReplayQuery(restoring(RESTORE_POLLS), VERSION_QUERY)).toEqual({ exitCode: 0, stdout: '90519\n', stderr: '' });
    expect(replayed(restoring(RESTORE_POLLS))).toBe('0/2000060\n');
    // 0/02 … 1/00 lies 254 segments on from 9.3 (SEG FF is used): a third (85), two thirds (169), all.
    expect(replayed(restoring(2))).toBe('0/57000060\n');
    expect(replayed(restoring(1))).toBe('0/AB000060\n');
    expect(replayed(restoring(0))).toBe('1/60\n');
    expect(replayed({ ...restoring(2), inRecovery: false })).toBe('1/60\n');
  });

  it('answers NULL for a server that restored nothing, and leaves other queries to the rest of the cell', () => {
    expect(replayed({ ...restoring(2), replay: undefined })).toBe('\n');
    expect(answerReplayQuery(restoring(2), 'select pg_is_in_recovery()')).toBeUndefined();
    expect(answerReplayQuery(restoring(2), replayQuery(100004))).toBeUndefined();
  });
});
