import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adler32, crc32, isLzop, lzopDecompress, lzopHeaderProblem } from '../../src/wale/lzop.js';
import { StepFailed } from '../../src/core/errors.js';

const lzop = (data: Buffer, ...flags: string[]): Buffer => execFileSync('lzop', ['-c', ...flags], { input: data, maxBuffer: 64 << 20 });

describe('lzop files made by the real lzop', () => {
  const text = Buffer.from(Array.from({ length: 30000 }, (_, i) => `line ${i} abcabcabc ${i % 7}\n`).join(''));
  const random = randomBytes(300_000);
  const mixed = Buffer.concat([text, random, text.subarray(0, 70_000), Buffer.alloc(50_000, 0x41)]);

  it.each([
    ['a history file', Buffer.from('1\t0/3000090\tno recovery target specified\n'), []],
    ['an empty file', Buffer.alloc(0), []],
    ['repetitive text, several 256 KiB blocks', text, []],
    ['incompressible data (stored blocks)', random, []],
    ['mixed data at -9 (lzo1x_999)', mixed, ['-9']],
    ['mixed data at -1', mixed, ['-1']],
    ['with CRC-32 checksums', mixed, ['--crc32']],
  ])('decompresses %s', (_what, data, flags) => {
    const packed = lzop(data, ...flags);
    expect(isLzop(packed)).toBe(true);
    expect(lzopDecompress(packed).equals(data)).toBe(true);
  });

  it('reports corruption instead of returning wrong bytes', () => {
    const packed = lzop(text);
    const bad = Buffer.from(packed);
    bad[bad.length - 200]! ^= 0xff;
    expect(() => lzopDecompress(bad, 'wal_005/00000002.history.lzo')).toThrow(StepFailed);
    expect(() => lzopDecompress(packed.subarray(0, packed.length - 100), 'x')).toThrow(/cannot be decompressed/);
    expect(() => lzopDecompress(Buffer.from('1\t0/3000090\n'), 'x')).toThrow(/magic/);
  });

  it('computes the standard checksums', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('checks the header and its checksum, as lzop writes them with Adler-32 or CRC-32, before any block', () => {
    for (const flags of [[], ['--crc32'], ['-9']]) {
      const packed = lzop(text, ...flags);
      expect(lzopHeaderProblem(packed)).toBeNull();
      // The file's mode, among the fields the header checksum covers.
      const changed = Buffer.from(packed);
      changed[30]! ^= 0x01;
      expect(lzopHeaderProblem(changed)).toBe('its header fails its checksum');
      expect(() => lzopDecompress(changed, 'x')).toThrow('x cannot be decompressed: its header fails its checksum');
      // Only the header is read: a stream cut in its blocks has a sound header.
      expect(lzopHeaderProblem(packed.subarray(0, 60))).toBeNull();
      expect(lzopHeaderProblem(packed.subarray(0, 30))).toBe('it ends in the middle of a header');
    }
    expect(lzopHeaderProblem(Buffer.from('1\t0/3000090\n'))).toBe('it does not start with the lzop magic bytes');
  });
});
