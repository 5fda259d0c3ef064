import { describe, expect, it } from 'vitest';
import { VERSION_QUERY, replayQuery } from '../../src/adapters/postgres-replay.js';
import { DINGO_VERSION_NUM } from '../../src/rehearsal/cell-world.js';
import { RESTORE_POLLS, answerReplayQuery, replayOfArchive, type RestoringPg } from '../../src/rehearsal/restore-replay.js';

const PREFIX = 'backups/6e101b27/wal/';
const wal = (name: string): string => `${PREFIX}wal_005/${name}.lzo`;
/** 0/02 … 0/FF, then 1/00: every segment from LATEST's first on, as wal-fetch asks for them. */
const CHAIN = [
  ...Array.from({ length: 254 }, (_, i) => wal(`0000000100000000000000${(i + 2).toString(16).toUpperCase().padStart(2, '0')}`)),
  wal('000000010000000100000000'),
];
const ARCHIVE = [
  wal('000000010000000000000001'),
  `${PREFIX}basebackups_005/base_000000010000000000000002_00000040_backup_stop_sentinel.json`,
  `${PREFIX}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt`,
  `${PREFIX}wal_005/000000010000000000000002.00000028.backup.lzo`,
  ...CHAIN,
  `backups/other/wal/wal_005/000000010000000100000001.lzo`,
];

function restoring(polls: number): RestoringPg {
  const replay = replayOfArchive(ARCHIVE, PREFIX);
  return { ready: true, inRecovery: true, pollsUntilPromoted: polls, roles: {}, replay };
}

const replayed = (pg: RestoringPg): string | undefined => answerReplayQuery(pg, replayQuery(DINGO_VERSION_NUM))?.stdout;

describe('the simulated restore replays the archive', () => {
  it("replays from LATEST's first segment to the last one fetched by its full name, under its own prefix only", () => {
    expect(replayOfArchive(ARCHIVE, PREFIX)).toEqual({ from: '000000010000000000000002', to: '000000010000000100000000' });
    expect(replayOfArchive(ARCHIVE.slice(0, 1), PREFIX)).toBeUndefined();
    // LATEST's first segment missing: nothing is replayed.
    expect(
      replayOfArchive(
        ARCHIVE.filter((k) => k !== CHAIN[0]),
        PREFIX,
      ),
    ).toBeUndefined();
  });

  it('stops at the first segment wal-fetch does not find, and never reads a .partial by its own name', () => {
    const gap = ARCHIVE.filter((k) => k !== wal('000000010000000000000006'));
    expect(replayOfArchive(gap, PREFIX)).toEqual({ from: '000000010000000000000002', to: '000000010000000000000005' });
    const partial = [...gap, `${PREFIX}wal_005/000000010000000000000006.partial.lzo`];
    expect(replayOfArchive(partial, PREFIX)?.to).toBe('000000010000000000000005');
    // Copied to its full name, it is fetched, and replay goes on through it.
    expect(replayOfArchive([...partial, wal('000000010000000000000006')], PREFIX)?.to).toBe('000000010000000100000000');
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
