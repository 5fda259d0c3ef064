/**
 * The reads of a range of a plain file: the lines whose first byte is in [start, end). A range
 * starts past the first newline before its start (byte start - 1 included, so a line that starts
 * at `start` is its own) and ends with the line its end cuts, however long; the last range of a
 * file is read to its end.
 */
import { readSync } from 'node:fs';

const NL = 10;

/** Bytes between two yields to the event loop while a plain file is read on the main thread. */
export const YIELD_EVERY = 64 * 1024 * 1024;

export class RangeReader {
  /** Where the range's first line starts, and the offset read up to. */
  readonly start: number;
  at: number;
  private done = false;

  constructor(
    private readonly fd: number,
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.start = start > 0 ? this.lineStartAfter(start - 1) : 0;
    this.at = this.start;
    this.done = this.start >= end;
  }

  /** The next block of the range's lines, in the reader's buffer (valid until the next call); null at the range's end. */
  next(): Buffer | null {
    if (this.done) return null;
    const { buf, at } = this;
    const n = readSync(this.fd, buf, 0, buf.length, at);
    if (n <= 0) {
      this.done = true;
      return null;
    }
    // Past the range's end, only up to the end of the line its end cuts.
    const from = this.end - 1 - at;
    const cut = from < n ? buf.subarray(Math.max(0, from), n).indexOf(NL) : -1;
    const stop = cut >= 0 ? Math.max(0, from) + cut + 1 : n;
    this.at += stop;
    this.done = cut >= 0 || n < buf.length;
    return stop === buf.length ? buf : buf.subarray(0, stop);
  }

  /** The offset just past the first newline at or after `from` (the file's end when there is none). */
  private lineStartAfter(from: number): number {
    for (let at = from; ;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, at);
      if (n <= 0) return at;
      const nl = this.buf.subarray(0, n).indexOf(NL);
      if (nl >= 0) return at + nl + 1;
      at += n;
    }
  }
}
