/**
 * Decompression of lzop files, the format wal-e stores WAL-side files in
 * (`.history.lzo`, `.backup.lzo`). Only small files are read this way, so a
 * plain in-memory decoder is enough: lzop container + LZO1X decompression,
 * with the container's Adler-32/CRC-32 checks of the uncompressed data.
 */
import { StepFailed } from '../core/errors.js';

const MAGIC = Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]);

const F_ADLER32_D = 0x1;
const F_ADLER32_C = 0x2;
const F_H_EXTRA_FIELD = 0x40;
const F_CRC32_D = 0x100;
const F_CRC32_C = 0x200;
const F_H_FILTER = 0x800;

export function isLzop(data: Buffer): boolean {
  return data.length >= MAGIC.length && data.subarray(0, MAGIC.length).equals(MAGIC);
}

const F_H_CRC32 = 0x1000;

/** What makes `data` no lzop stream, thrown by the readers below and caught by the callers that name it. */
class NotLzop extends Error {}

/** A byte reader over `data` from `p`, failing with NotLzop when a header ends early. */
function reader(data: Buffer, start: number) {
  let p = start;
  const need = (n: number): void => {
    if (p + n > data.length) throw new NotLzop('it ends in the middle of a header');
  };
  return {
    get at(): number {
      return p;
    },
    need,
    skip: (n: number): void => {
      need(n);
      p += n;
    },
    u8: (): number => (need(1), data[p++]!),
    u16: (): number => (need(2), (p += 2), data.readUInt16BE(p - 2)),
    u32: (): number => (need(4), (p += 4), data.readUInt32BE(p - 4)),
  };
}

/**
 * The file header of an lzop stream (lzop's p_header/read_header): its magic, its fields and their
 * checksum. Returns where the first block starts and the header's flags.
 */
function readHeader(data: Buffer): { blocksAt: number; flags: number } {
  if (!isLzop(data)) throw new NotLzop('it does not start with the lzop magic bytes');
  const r = reader(data, MAGIC.length);
  const version = r.u16();
  r.u16(); // library version
  if (version >= 0x0940) r.u16(); // version needed to extract
  const method = r.u8();
  if (method < 1 || method > 3) throw new NotLzop(`compression method ${method} is not LZO1X`);
  if (version >= 0x0940) r.u8(); // level
  const flags = r.u32();
  if (flags & F_H_FILTER) r.u32();
  r.u32(); // mode
  r.u32(); // mtime low
  if (version >= 0x0940) r.u32(); // mtime high
  r.skip(r.u8()); // file name
  const sum = (from: number, to: number): number => (flags & F_H_CRC32 ? crc32 : adler32)(data.subarray(from, to));
  const fieldsEnd = r.at;
  if (r.u32() !== sum(MAGIC.length, fieldsEnd)) throw new NotLzop('its header fails its checksum');
  if (flags & F_H_EXTRA_FIELD) {
    const start = r.at;
    r.skip(r.u32());
    const end = r.at;
    if (r.u32() !== sum(start, end)) throw new NotLzop("its header's extra field fails its checksum");
  }
  return { blocksAt: r.at, flags };
}

/** Why `data` is no lzop stream wal-fetch could read (the magic, then the header and its checksum), or null when its header is one. */
export function lzopHeaderProblem(data: Buffer): string | null {
  try {
    readHeader(data);
    return null;
  } catch (err) {
    if (err instanceof NotLzop) return err.message;
    throw err;
  }
}

/** Decompress a whole lzop file (all blocks of its single member). */
export function lzopDecompress(data: Buffer, source = 'lzop data'): Buffer {
  const fail = (what: string): never => {
    throw new StepFailed(`${source} cannot be decompressed: ${what}`, {
      hint: 'the object may be truncated or not lzop-compressed; download it again and check it with `lzop -t`',
    });
  };
  try {
    return decompressBlocks(data);
  } catch (err) {
    if (err instanceof NotLzop) return fail(err.message);
    throw err;
  }
}

function decompressBlocks(data: Buffer): Buffer {
  const { blocksAt, flags } = readHeader(data);
  const r = reader(data, blocksAt);
  const fail = (what: string): never => {
    throw new NotLzop(what);
  };
  const out: Buffer[] = [];
  for (;;) {
    const dLen = r.u32();
    if (dLen === 0) break;
    const cLen = r.u32();
    const dAdler = flags & F_ADLER32_D ? r.u32() : null;
    const dCrc = flags & F_CRC32_D ? r.u32() : null;
    if (cLen < dLen) {
      if (flags & F_ADLER32_C) r.u32();
      if (flags & F_CRC32_C) r.u32();
    }
    const start = r.at;
    r.skip(cLen);
    const block = data.subarray(start, start + cLen);
    const plain = cLen === dLen ? Buffer.from(block) : lzo1xDecompress(block, dLen, fail);
    if (dAdler !== null && adler32(plain) !== dAdler) fail('a block fails its Adler-32 check');
    if (dCrc !== null && crc32(plain) !== dCrc) fail('a block fails its CRC-32 check');
    out.push(plain);
  }
  return Buffer.concat(out);
}

/** LZO1X decompression of one block whose uncompressed size is known (after lzo1x_d.ch). */
function lzo1xDecompress(src: Buffer, size: number, fail: (what: string) => never): Buffer {
  const dst = Buffer.alloc(size);
  let ip = 0;
  let op = 0;
  const byte = (): number => {
    if (ip >= src.length) fail('a compressed block ends early');
    return src[ip++]!;
  };
  const literals = (n: number): void => {
    if (ip + n > src.length || op + n > size) fail('a literal run overruns the block');
    src.copy(dst, op, ip, ip + n);
    ip += n;
    op += n;
  };
  const match = (distance: number, n: number): void => {
    let from = op - distance;
    if (from < 0 || op + n > size) fail('a match points outside the block');
    for (let i = 0; i < n; i++) dst[op++] = dst[from++]!;
  };
  /** A length field of 0 means "more follows": 255 per zero byte, plus `base`, plus the next byte. */
  const length = (t: number, base: number): number => {
    if (t !== 0) return t;
    let n = 0;
    let b: number;
    while ((b = byte()) === 0) n += 255;
    return n + base + b;
  };

  // What an instruction below 16 means depends on what came before it: a
  // literal run (after a match's trailing literals it is a 2-byte match,
  // right after a long literal run a 3-byte match far back).
  let after: 'match' | 'literals' | 'short-literals' = 'match';
  if (src.length > 0 && src[0]! > 17) {
    const n = byte() - 17;
    literals(n);
    after = n < 4 ? 'short-literals' : 'literals';
  }
  for (;;) {
    const t = byte();
    if (t < 16 && after === 'match') {
      literals(length(t, 15) + 3);
      after = 'literals';
      continue;
    }
    if (t >= 64) {
      match(1 + ((t >> 2) & 7) + (byte() << 3), (t >> 5) + 1);
    } else if (t >= 32) {
      const len = length(t & 31, 31) + 2;
      const d = byte() | (byte() << 8);
      match(1 + (d >> 2), len);
    } else if (t >= 16) {
      const len = length(t & 7, 7) + 2;
      const d = byte() | (byte() << 8);
      const distance = ((t & 8) << 11) + (d >> 2);
      if (distance === 0) {
        if (op !== size) fail('the block ends before its stated size');
        return dst;
      }
      match(distance + 0x4000, len);
    } else if (after === 'literals') {
      match(1 + 0x0800 + (t >> 2) + (byte() << 2), 3);
    } else {
      match(1 + (t >> 2) + (byte() << 2), 2);
    }
    const trailing = src[ip - 2]! & 3;
    if (trailing === 0) after = 'match';
    else {
      literals(trailing);
      after = 'short-literals';
    }
  }
}

export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length;) {
    const end = Math.min(i + 3800, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let crcTable: Uint32Array | null = null;

export function crc32(data: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
