import { describe, expect, it } from 'vitest';
import {
  compareSegments,
  formatLsn,
  formatSegment,
  nextSegment,
  parseLsn,
  parseSegment,
  segmentDistance,
  segmentOfLsn,
  segmentRange,
  segmentStartLsn,
  skipsSegmentFF,
  tryParseSegment,
} from '../../src/wale/segments.js';
import { UsageError } from '../../src/core/errors.js';

const seg = (n: string) => parseSegment(n);
const next = (n: string, pg?: string) => formatSegment(nextSegment(seg(n), pg));

describe('segment names', () => {
  it('parses and formats TLI, LOG and SEG', () => {
    expect(seg('0000000A000001FF000000FE')).toEqual({ tli: 10, log: 0x1ff, seg: 0xfe });
    expect(formatSegment({ tli: 2, log: 0x1a, seg: 3 })).toBe('000000020000001A00000003');
  });

  it('rejects names that are not 24 upper-case hex digits', () => {
    expect(tryParseSegment('00000001000000000000000')).toBeNull();
    expect(tryParseSegment('0000000100000000000000ab')).toBeNull();
    expect(() => parseSegment('000000010000000000000002.lzo')).toThrow(UsageError);
  });

  it('orders by WAL position, then timeline', () => {
    const names = ['000000020000000100000000', '0000000100000000000000FF', '000000010000000100000000', '000000030000000000000001'];
    expect(names.map(seg).sort(compareSegments).map(formatSegment)).toEqual([
      '000000030000000000000001',
      '0000000100000000000000FF',
      '000000010000000100000000',
      '000000020000000100000000',
    ]);
  });
});

describe('stepping through WAL', () => {
  it('carries SEG FF into LOG+1 from 9.3 on', () => {
    expect(next('0000000100000000000000FE', '9.5')).toBe('0000000100000000000000FF');
    expect(next('0000000100000000000000FF', '9.5')).toBe('000000010000000100000000');
    expect(next('000000010000000000000002', '15')).toBe('000000010000000000000003');
  });

  it('skips SEG FF before 9.3', () => {
    expect(skipsSegmentFF('9.2')).toBe(true);
    expect(skipsSegmentFF('8.4')).toBe(true);
    expect(skipsSegmentFF('9.3')).toBe(false);
    expect(skipsSegmentFF('10')).toBe(false);
    expect(skipsSegmentFF(null)).toBe(false);
    expect(next('0000000100000000000000FE', '9.2')).toBe('000000010000000100000000');
  });

  it('measures distance and ranges with the version in mind', () => {
    const a = seg('0000000100000000000000FD');
    const b = seg('000000010000000100000001');
    expect(segmentDistance(a, b, '9.5')).toBe(4);
    expect(segmentDistance(a, b, '9.2')).toBe(3);
    expect(segmentDistance(b, a, '9.5')).toBe(-4);
    expect([...segmentRange(a, b, '9.2')].map(formatSegment)).toEqual([
      '0000000100000000000000FD',
      '0000000100000000000000FE',
      '000000010000000100000000',
      '000000010000000100000001',
    ]);
    expect([...segmentRange(a, b, '9.5')]).toHaveLength(5);
  });
});

describe('LSNs', () => {
  it('maps an LSN to the segment holding it (16 MiB segments)', () => {
    expect(formatSegment(segmentOfLsn('0/2000028', 1))).toBe('000000010000000000000002');
    expect(formatSegment(segmentOfLsn('0/3000000', 2))).toBe('000000020000000000000003');
    expect(formatSegment(segmentOfLsn('0/2FFFFFF', 2))).toBe('000000020000000000000002');
    expect(formatSegment(segmentOfLsn('1A/FF000028', 3))).toBe('000000030000001A000000FF');
  });

  it("gives a segment's first byte, whose segment is itself", () => {
    expect(formatLsn(segmentStartLsn(seg('000000010000000000000002')))).toBe('0/2000000');
    expect(formatLsn(segmentStartLsn(seg('000000030000001A000000FF')))).toBe('1A/FF000000');
    expect(formatSegment(segmentOfLsn(segmentStartLsn(seg('000000020000000300000004')), 2))).toBe('000000020000000300000004');
  });

  it('round-trips and rejects bad text', () => {
    expect(formatLsn(parseLsn('16/b374d848'))).toBe('16/B374D848');
    expect(() => parseLsn('0-2000028')).toThrow(/not a WAL location/);
  });
});
