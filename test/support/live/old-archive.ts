/**
 * The bytes of a deleted instance's archive as wal-e 0.9 wrote them on a Dingo 9.5 cell: each WAL
 * segment and the base backup's tar partition are lzop files (wal-e's `lzop -c` pipe), the
 * partition a tar of the data folder's files with paths relative to it (wal_e/tar_partition.py).
 * What they hold is small: a data folder whose PG_VERSION says 9.5, a backup label, a page of the
 * tenant's; no server of 9.5 runs here, and the cell's image that restores them is a double too.
 *
 * The same arguments give the same bytes in every process (an ETag checked in one process is of an
 * object uploaded by another): lzop stores the input file's name, mode and time, and tar its
 * members' owners and times, so each is fixed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SEGMENT_BYTES } from '../../../src/wale/segments.js';

/** Runs `fn` in a folder of its own, removed after. */
function inScratch<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dingo-live-archive-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `files` under `dir` with a fixed mode and time. */
function writeFixed(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, body] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
    chmodSync(path, 0o600);
    utimesSync(path, 0, 0);
  }
}

/** `body` as `lzop -c` compresses it: the stored name `part`, mode 0600 and time 0. */
export function lzopOf(body: string | Buffer): Buffer {
  return inScratch((dir) => {
    writeFixed(dir, { part: body });
    return execFileSync('lzop', ['-c', 'part'], { cwd: dir });
  });
}

/** A base backup's tar partition, compressed: `files` relative to the data folder, root's, time 0, in name order. */
export function tarPartitionOf(files: Record<string, string | Buffer>): Buffer {
  return inScratch((dir) => {
    const data = join(dir, 'data');
    writeFixed(data, files);
    const names = Object.keys(files).sort();
    const tar = execFileSync('tar', [
      '-c',
      '--format=ustar',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '-C',
      data,
      ...names,
    ]);
    return lzopOf(tar);
  });
}

/** PostgreSQL 9.5's WAL page magic (XLOG_PAGE_MAGIC 0xD087, src/include/access/xlog_internal.h of REL9_5). */
const XLOG_PAGE_MAGIC_95 = 0xd087;
/** XLP_LONG_HEADER: a segment's first page carries the long header. */
const XLP_LONG_HEADER = 0x0002;
/** The long header's size (SizeOfXLogLongPHD, MAXALIGNed on x86-64): the records start after it. */
const LONG_HEADER_BYTES = 40;

/**
 * A whole WAL segment of `name` as a 9.5 server writes one: 16 MiB, its first page's long header
 * (XLogLongPageHeaderData: magic, info, timeline, the segment's start address, the system
 * identifier, segment and block sizes), `records` after it, zeros to the end (a segment is
 * preallocated with zeros and archived whole, however little it holds).
 */
export function walSegmentOf(name: string, sysid: string, records: string | Buffer): Buffer {
  return walStartOf(name, sysid, records, SEGMENT_BYTES);
}

/**
 * The start of that segment only: its long header and `records`, without the zeros after them (what
 * a live case streams to its cell stays small). The header still names the segment's system, as the
 * first page of every segment does.
 */
export function walHeadOf(name: string, sysid: string, records: string | Buffer): Buffer {
  return walStartOf(name, sysid, records, LONG_HEADER_BYTES + Buffer.byteLength(records));
}

function walStartOf(name: string, sysid: string, records: string | Buffer, bytes: number): Buffer {
  const tli = parseInt(name.slice(0, 8), 16);
  const start = (BigInt(parseInt(name.slice(8, 16), 16)) << 32n) | BigInt(parseInt(name.slice(16), 16) * SEGMENT_BYTES);
  const b = Buffer.alloc(bytes);
  b.writeUInt16LE(XLOG_PAGE_MAGIC_95, 0);
  b.writeUInt16LE(XLP_LONG_HEADER, 2);
  b.writeUInt32LE(tli, 4);
  b.writeBigUInt64LE(start, 8);
  b.writeBigUInt64LE(BigInt(sysid), 24);
  b.writeUInt32LE(SEGMENT_BYTES, 32);
  b.writeUInt32LE(8192, 36);
  Buffer.from(records).copy(b, LONG_HEADER_BYTES);
  return b;
}
