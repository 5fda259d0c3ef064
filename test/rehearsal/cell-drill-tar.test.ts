/**
 * The simulated cell's `tar -x` (src/rehearsal/cell-drill-tar.ts) reads a drill's tar as its chunks
 * come: what it finds does not depend on where the chunks were cut, headers, the data folder's
 * PG_VERSION and a WAL segment's long page header cut across two or more of them included, and none
 * of the members' bytes is kept but those. The tar is node-tar's, as the drill
 * writes it (src/drill/cell-drill.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTar, membersOf, TarScan } from '../../src/rehearsal/cell-drill-tar.js';
import { readCellSpec } from '../../src/rehearsal/cell-sim.js';
import { stdinBytes } from '../../src/core/stdin.js';
import { walHeadOf } from '../support/live/old-archive.js';

const SEGMENTS = ['000000010000000000000003', '000000010000000000000002', '000000010000000000000004'];
const SEGMENT_BYTES = 5_000;
/** The system the first segment in WAL order names; the others name another, which is never taken. */
const FIRST_SYSID = '6262209914512345093';
const OTHER_SYSID = '6262210099812345678';
let dir = '';
let tar: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cell-drill-tar-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'wal'));
  writeFileSync(join(dir, 'data', 'PG_VERSION'), '9.5\n');
  for (const s of SEGMENTS) {
    const sysid = s === [...SEGMENTS].sort()[0] ? FIRST_SYSID : OTHER_SYSID;
    writeFileSync(join(dir, 'wal', s), walHeadOf(s, sysid, Buffer.alloc(SEGMENT_BYTES - 40, 7)));
  }
  tar = await stdinBytes(Readable.from(create({ cwd: dir, portable: true }, ['data', 'wal']) as AsyncIterable<Buffer>));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What tar -x writes of a tar streamed in these chunks into ROOM bytes. */
function readTar(chunks: Buffer[], room?: number) {
  const scan = new TarScan();
  for (const chunk of chunks) scan.push(chunk);
  return extractTar(scan.members, room);
}

/** The tar cut into chunks of the sizes given, in turn. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe("the simulated cell's tar -x", () => {
  it('finds the data folder’s version and the WAL segments, in order, whole or in one chunk', () => {
    expect(readTar([tar])).toEqual({ pgVersion: '9.5', wal: [...SEGMENTS].sort(), sysid: FIRST_SYSID, kb: 15, after: [] });
  });

  it.each([
    ['a byte', [1]],
    ['seven bytes, then 300', [7, 300]],
    ['511 bytes', [511]],
    ['513 bytes', [513]],
    ['4 KiB, then 3 bytes', [4096, 3]],
  ])('reads the same in chunks of %s', (_name, sizes) => {
    expect(readTar(cut(tar, sizes))).toEqual(readTar([tar]));
    expect(readTar(cut(tar, sizes), 8 * 1024)).toEqual(readTar([tar], 8 * 1024));
  });

  it('names the member the disk refused, what of it was written and the members after it', () => {
    const room = 8 * 1024;
    const read = readTar(cut(tar, [1000]), room);
    // The version file and one segment fit; the next segment fits in part, a 512-byte block at a time.
    const wrote = Math.floor((room - 4 - SEGMENT_BYTES) / 512) * 512;
    expect(read).toMatchObject({ pgVersion: '9.5', kb: Math.ceil((4 + SEGMENT_BYTES + wrote) / 1024), wrote, size: SEGMENT_BYTES });
    expect(read.wal).toHaveLength(1);
    expect([...read.wal, read.full?.replace('wal/', ''), ...read.after.map((m: string) => m.replace('wal/', ''))].sort()).toEqual(
      [...SEGMENTS].sort(),
    );
  });

  it('stops at a cut header, as tar does at the end of its input', () => {
    const headers = readTar([tar.subarray(0, 512 * 4 + 100)]);
    expect(headers.pgVersion).toBe('9.5');
    expect(headers.wal).toEqual([]);
  });
});

describe('a streamed input of the simulated cell', () => {
  it("is the members of its tar, read as it came, none of their bytes kept but PG_VERSION's and the system each segment names", async () => {
    const { stdin: input } = await readCellSpec({ argv: ['docker', 'run'], writes: true, stdin: Readable.from(cut(tar, [1000, 7])) });
    expect(input).toEqual({ tar: membersOf(tar) });
    const members = (input as { tar: { name: string; size: number; text?: string }[] }).tar;
    expect(members.filter((m) => m.text !== undefined)).toEqual([{ name: 'data/PG_VERSION', size: 4, text: '9.5\n' }]);
    expect(Object.fromEntries(members.filter((m) => 'sysid' in m).map((m) => [m.name, (m as { sysid?: string }).sysid]))).toEqual(
      Object.fromEntries(SEGMENTS.map((s) => [`wal/${s}`, s === [...SEGMENTS].sort()[0] ? FIRST_SYSID : OTHER_SYSID])),
    );
    expect(members.map((m) => m.name).sort()).toEqual(['data/', 'data/PG_VERSION', 'wal/', ...SEGMENTS.map((s) => `wal/${s}`)].sort());
  });

  it('is given as it is when it is text or bytes', async () => {
    const stdinOf = async (stdin: string | Buffer) => (await readCellSpec({ argv: ['docker', 'run'], writes: true, stdin })).stdin;
    expect(await stdinOf('text')).toBe('text');
    expect(await stdinOf(tar)).toBe(tar);
  });
});
