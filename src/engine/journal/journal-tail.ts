/**
 * The journal's last line after a crash: a torn write (its writer died, or the disk filled,
 * mid-append) is moved to a file of its own, kept, and the journal cut back to its last whole event.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseEvent } from './journal-events.js';
import { errnoCode } from '../../core/errors.js';
import { utcStamp } from '../../core/utc-stamp.js';

const NEWLINE = 0x0a;

export interface Repair {
  /** The file the torn bytes were moved to, next to the journal. */
  keptAt: string;
  tornBytes: number;
  /** The journal's length after the cut, in bytes. */
  truncatedTo: number;
}

export function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Where a file's last line starts, and whether that line (which has no newline) is a whole event. */
function tailOf(bytes: Buffer): { start: number; whole: boolean } {
  const start = bytes.lastIndexOf(NEWLINE) + 1;
  if (start === bytes.length) return { start, whole: true };
  const text = bytes.subarray(start).toString('utf8');
  return { start, whole: parseEvent(text) !== null };
}

function fsyncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every file system syncs a folder; the file itself is synced
  }
}

function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const bytes = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, bytes, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return bytes.subarray(0, got);
}

/** Writes the torn bytes to `<journal>.torn-<UTC stamp>` (a new file, never one that exists), and returns its path. */
function keepTorn(file: string, torn: Buffer, now: () => Date): string {
  const base = `${file}.torn-${utcStamp(now(), { millis: true })}`;
  let keptAt = base;
  let kept: number | null = null;
  for (let n = 1; kept === null; n++) {
    try {
      kept = openSync(keptAt, 'wx', 0o600);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST' || n > 100) throw err;
      keptAt = `${base}-${n}`;
    }
  }
  try {
    writeAll(kept, torn);
    fsyncSync(kept);
  } finally {
    closeSync(kept);
  }
  fsyncFolder(dirname(file));
  return keptAt;
}

/**
 * Readies a journal file for appending: a torn last line (its writer died, or the disk filled, mid-write)
 * is moved to `<journal>.torn-<UTC stamp>` (kept, never deleted) and the journal cut back to its last whole
 * event; a whole last event without its newline gets the newline. Returns what was repaired, if anything.
 */
export function readyForAppend(file: string, fd: number, now: () => Date): Repair | null {
  const bytes = readAll(fd);
  if (bytes.length === 0) return null;
  const { start, whole } = tailOf(bytes);
  if (start === bytes.length) return null;
  if (whole) {
    writeAll(fd, Buffer.from('\n'));
    fsyncSync(fd);
    return null;
  }
  const torn = bytes.subarray(start);
  const keptAt = keepTorn(file, torn, now);
  ftruncateSync(fd, start);
  fsyncSync(fd);
  return { keptAt, tornBytes: torn.length, truncatedTo: start };
}
