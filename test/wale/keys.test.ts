import { describe, expect, it } from 'vitest';
import { backupLabelName, backupName, classifyKey, parseBackupName } from '../../src/wale/keys.js';

const B = 'base_000000010000000000000002_00000040';

describe('classifyKey (wal-e)', () => {
  it.each([
    [`basebackups_005/${B}/extended_version.txt`, { kind: 'extended-version', backup: B }],
    [`basebackups_005/${B}/tar_partitions/part_00000000.tar.lzo`, { kind: 'tar-partition', backup: B, index: 0 }],
    [`basebackups_005/${B}/tar_partitions/part_00000012.tar.lzo`, { kind: 'tar-partition', backup: B, index: 12 }],
    [`basebackups_005/${B}_backup_stop_sentinel.json`, { kind: 'sentinel', backup: B }],
    ['wal_005/000000010000000000000001.lzo', { kind: 'wal-segment', segment: '000000010000000000000001' }],
    // wal-fetch asks for NAME.lzo only: an uncompressed copy is never read by a restore.
    ['wal_005/000000010000000000000001', { kind: 'wal-uncompressed', name: '000000010000000000000001' }],
    ['wal_005/000000010000000000000002.00000028.backup.lzo', { kind: 'backup-label', segment: '000000010000000000000002', offset: 40 }],
    ['wal_005/000000010000000000000002.00000028.backup', { kind: 'backup-label', segment: '000000010000000000000002', offset: 40 }],
    ['wal_005/00000002.history.lzo', { kind: 'history', timeline: 2 }],
    ['wal_005/0000000A.history', { kind: 'wal-uncompressed', name: '0000000A.history' }],
    ['wal_005/000000010000000000000003.partial.lzo', { kind: 'wal-partial', segment: '000000010000000000000003', lzo: true }],
    ['wal_005/000000010000000000000003.partial', { kind: 'wal-partial', segment: '000000010000000000000003', lzo: false }],
    ['sysids/sysid', { kind: 'sysid' }],
    ['wal_005/', { kind: 'directory' }],
  ])('%s', (key, want) => {
    expect(classifyKey(key)).toEqual(want);
  });

  it.each([
    'sysids/sysid.bak',
    'wal_005/00000001000000000000001.lzo',
    'wal_005/0000000100000000000000zz.lzo',
    `basebackups_005/${B}/tar_partitions/part_0.tar.lzo`,
    `basebackups_005/${B}/notes.txt`,
    'basebackups_005/base_000000010000000000000002_0040/extended_version.txt',
    'README',
  ])('%s is unknown', (key) => {
    expect(classifyKey(key)).toEqual({ kind: 'unknown' });
  });
});

describe('classifyKey (wal-g)', () => {
  const G = 'base_000000010000000000000004';
  it.each([
    [`basebackups_005/${G}/metadata.json`, { kind: 'walg-backup-file', backup: G, file: 'metadata.json' }],
    [
      `basebackups_005/${G}/tar_partitions/part_001.tar.lz4`,
      { kind: 'walg-backup-file', backup: G, file: 'tar_partitions/part_001.tar.lz4' },
    ],
    [
      `basebackups_005/${G}/tar_partitions/pg_control.tar.zst`,
      { kind: 'walg-backup-file', backup: G, file: 'tar_partitions/pg_control.tar.zst' },
    ],
    [
      `basebackups_005/${G}_D_000000010000000000000002/metadata.json`,
      { kind: 'walg-backup-file', backup: `${G}_D_000000010000000000000002`, file: 'metadata.json' },
    ],
    [`basebackups_005/${G}_backup_stop_sentinel.json`, { kind: 'walg-sentinel', backup: G }],
    ['wal_005/000000010000000000000004.lz4', { kind: 'walg-wal', segment: '000000010000000000000004', ext: 'lz4' }],
    ['wal_005/000000010000000000000004.br', { kind: 'walg-wal', segment: '000000010000000000000004', ext: 'br' }],
  ])('%s', (key, want) => {
    expect(classifyKey(key)).toEqual(want);
  });
});

describe('backup names', () => {
  it('reads the offset as decimal and writes the label offset as hex', () => {
    expect(parseBackupName(B)).toEqual({ startSegment: '000000010000000000000002', startOffset: 40 });
    expect(backupLabelName('000000010000000000000002', 40)).toBe('000000010000000000000002.00000028.backup');
    expect(backupName('000000010000000000000002', 40)).toBe(B);
    expect(parseBackupName('base_000000010000000000000002')).toBeNull();
  });

  it('round-trips a large offset', () => {
    const name = backupName('00000014000104FA000000C1', 7405208);
    expect(name).toBe('base_00000014000104FA000000C1_07405208');
    expect(backupLabelName('00000014000104FA000000C1', parseBackupName(name)!.startOffset)).toBe(
      '00000014000104FA000000C1.0070FE98.backup',
    );
  });
});
