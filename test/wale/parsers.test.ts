import { describe, expect, it } from 'vitest';
import { parseSentinel } from '../../src/wale/sentinel.js';
import { parseHistory, switchSegment } from '../../src/wale/history.js';
import { parsePgVersion } from '../../src/wale/version.js';
import { StepFailed } from '../../src/core/errors.js';

describe('parseSentinel', () => {
  it('reads every field of a wal-e sentinel', () => {
    const text = JSON.stringify({
      wal_segment_backup_stop: '000000010000000000000002',
      wal_segment_offset_backup_stop: '00000240',
      expanded_size_bytes: 21049344,
      spec: {
        base_prefix: '/data/postgres0',
        tablespaces: ['fast'],
        fast: { loc: '/ssd/fast', link: 'pg_tblspc/16385' },
      },
    });
    expect(parseSentinel(Buffer.from(text))).toEqual({
      walSegmentBackupStop: '000000010000000000000002',
      walSegmentOffsetBackupStop: 240,
      expandedSizeBytes: 21049344,
      spec: { basePrefix: '/data/postgres0', tablespaces: ['fast'], locations: { fast: { loc: '/ssd/fast', link: 'pg_tblspc/16385' } } },
    });
  });

  it('accepts old sentinels without spec and numeric offsets', () => {
    const s = parseSentinel(
      '{"wal_segment_backup_stop":"000000010000000000000005","wal_segment_offset_backup_stop":88,"expanded_size_bytes":null}',
    );
    expect(s).toEqual({
      walSegmentBackupStop: '000000010000000000000005',
      walSegmentOffsetBackupStop: 88,
      expandedSizeBytes: null,
      spec: null,
    });
  });

  it.each([
    ['{"wal_segment_backup_stop": "00000001', /not valid JSON/],
    ['[]', /not a JSON object/],
    ['{"wal_segment_offset_backup_stop":"00000240"}', /wal_segment_backup_stop is missing/],
    [
      '{"wal_segment_backup_stop":"000000010000000000000002","wal_segment_offset_backup_stop":"0x40"}',
      /offset_backup_stop is missing or not a decimal/,
    ],
    [
      '{"wal_segment_backup_stop":"000000010000000000000002","wal_segment_offset_backup_stop":"1","spec":{"tablespaces":["a"]}}',
      /no \{loc, link\} for tablespace "a"/,
    ],
  ])('explains what is wrong with %s', (text, why) => {
    expect(() => parseSentinel(text, 's3://b/k.json')).toThrow(StepFailed);
    expect(() => parseSentinel(text, 's3://b/k.json')).toThrow(why);
    expect(() => parseSentinel(text, 's3://b/k.json')).toThrow(/s3:\/\/b\/k\.json/);
  });
});

describe('parseHistory', () => {
  it('reads switch points, skipping comments and blank lines', () => {
    const text = '# history of timeline 3\n1\t0/3000090\tno recovery target specified\n\n2\t0/50000D8\tbefore 2016-03-17 02:20:00+00\n';
    const h = parseHistory(text);
    expect(h).toEqual([
      { parentTimeline: 1, switchpoint: '0/3000090', reason: 'no recovery target specified' },
      { parentTimeline: 2, switchpoint: '0/50000D8', reason: 'before 2016-03-17 02:20:00+00' },
    ]);
    expect(switchSegment(h[0]!)).toEqual({ log: 0, seg: 3 });
  });

  it('reads the segment names pre-9.3 servers wrote', () => {
    const h = parseHistory('1\t000000010000000000000007\tafter transaction 1005 at 2012-01-01\n');
    expect(switchSegment(h[0]!)).toEqual({ log: 0, seg: 7 });
  });

  it.each([
    ['x\t0/3000090\treason', /parent timeline is not a number/],
    ['1', /switch point is missing/],
    ['1\tnowhere\treason', /neither an LSN nor a segment name/],
    ['2\t0/3000090\ta\n1\t0/4000000\tb', /must increase/],
  ])('rejects %j with its line number', (text, why) => {
    expect(() => parseHistory(text, '00000003.history')).toThrow(why);
    expect(() => parseHistory(text, '00000003.history')).toThrow(/00000003\.history, line \d/);
  });
});

describe('parsePgVersion', () => {
  it.each([
    ['PostgreSQL 9.5.1 on x86_64-pc-linux-gnu, compiled by gcc (Debian 4.9.2-10) 4.9.2, 64-bit', '9.5'],
    ['PostgreSQL 9.2.24 on x86_64-unknown-linux-gnu', '9.2'],
    ['PostgreSQL 15.4 (Debian 15.4-1.pgdg120+1) on x86_64-pc-linux-gnu', '15'],
    ['PostgreSQL 10devel on x86_64', '10'],
    ['                                     version\n PostgreSQL 9.6.3 on x86_64\n(1 row)\n', '9.6'],
    ['MySQL 5.7', null],
    ['', null],
  ])('%j → %j', (text, want) => {
    expect(parsePgVersion(Buffer.from(text))).toBe(want);
  });
});
