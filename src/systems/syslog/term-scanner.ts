/**
 * The hot path: finds the lines that contain any of a few literal terms in a stream of
 * chunks, without splitting everything into lines. The terms are searched with Buffer#indexOf
 * (memchr on each term's rarest byte, term-set.ts) in one ordered walk over the complete lines of
 * a chunk; only the lines that count are decoded.
 * A stream whose first lines hold RFC 6587 octet-counted frames is read record by record instead
 * (frame-walk.ts): each frame, or each line between frames, is searched on its own.
 * Memory stays constant: one chunk plus at most one partial line (capped at MAX_LINE).
 */
import { holdsFrames } from '../../adapters/syslog-frames.js';
import type { ScanTerm } from '../../core/log-source.js';
import { FrameWalk, type RecordSink } from './frame-walk.js';
import { TermSet } from './term-set.js';

export const MAX_LINE = 1 << 20;
/**
 * Chunk size of streams (gzip, standard input, the second read that numbers lines). Chunks fed to
 * the scanner are no bigger than MAX_LINE, so any longer line crosses a chunk and is caught.
 */
export const CHUNK = 1 << 20;

/** Bytes of the first chunk that choose the byte each term is searched from: a hundred lines or so. */
const SAMPLE = 16 * 1024;

const NL = 10;

/** Whether a stream that starts with this chunk is read frame by frame (frame-walk.ts), not line by line. */
export function startsWithFrames(chunk: Buffer): boolean {
  return holdsFrames(chunk.subarray(0, SAMPLE));
}

export class TermScanner {
  private readonly terms: TermSet;
  private tuned = false;
  private framesChecked: boolean;
  /** Per term, the position of its next occurrence in the region being scanned (-1: none left). */
  private readonly next: Int32Array;
  private carry: Buffer[] = [];
  private carryLength = 0;
  /** Inside a line longer than MAX_LINE: discard until the next newline. */
  private skipping = false;
  private skipStart = 0;
  private position: number;
  /** Set on the first chunk when the stream holds octet-counted frames. */
  private frames: FrameWalk | null = null;

  /**
   * `at`: the offset in the file of the first byte pushed (a worker's range of a file starts past
   * its first line); `noFrames`: the stream is known to hold lines, not octet-counted frames.
   */
  constructor(
    terms: readonly ScanTerm[],
    private readonly sink: RecordSink,
    { at = 0, noFrames = false }: { at?: number; noFrames?: boolean } = {},
  ) {
    this.terms = new TermSet(terms);
    this.next = new Int32Array(this.terms.size);
    this.position = at;
    this.framesChecked = noFrames;
  }

  /** Feed a chunk; the caller may reuse the chunk's memory afterwards. */
  push(chunk: Buffer): void {
    if (!this.tuned) {
      this.tuned = true;
      this.terms.tune(chunk.subarray(0, SAMPLE));
    }
    if (!this.framesChecked) {
      this.framesChecked = true;
      if (startsWithFrames(chunk)) this.frames = new FrameWalk(this.terms, this.sink, MAX_LINE);
    }
    if (this.frames) {
      this.frames.push(chunk);
      return;
    }
    const base = this.position;
    this.position += chunk.length;
    let pos = 0;
    if (this.carryLength > 0 || this.skipping) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.extendCarry(chunk, base);
        return;
      }
      if (this.skipping) {
        this.sink.longLine(this.skipStart, base + nl - this.skipStart);
        this.skipping = false;
      } else if (this.carryLength + nl > MAX_LINE) {
        this.sink.longLine(base - this.carryLength, this.carryLength + nl);
      } else {
        const lineStart = base - this.carryLength;
        const line = Buffer.concat([...this.carry, chunk.subarray(0, nl + 1)]);
        this.scanRegion(line, lineStart);
      }
      this.carry = [];
      this.carryLength = 0;
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last >= pos) {
      this.scanRegion(chunk.subarray(pos, last + 1), base + pos);
      pos = last + 1;
    }
    if (pos < chunk.length) this.extendCarry(chunk.subarray(pos), base + pos);
  }

  /** End of stream: a last line without a newline is still searched. */
  end(): void {
    if (this.frames) {
      this.frames.end();
      return;
    }
    if (this.skipping) this.sink.longLine(this.skipStart, this.position - this.skipStart);
    else if (this.carryLength > 0) this.scanRegion(Buffer.concat(this.carry), this.position - this.carryLength);
    this.carry = [];
    this.carryLength = 0;
    this.skipping = false;
  }

  private extendCarry(part: Buffer, offset: number): void {
    if (this.skipping) return;
    if (this.carryLength + part.length > MAX_LINE) {
      this.skipping = true;
      this.skipStart = offset - this.carryLength;
      this.carry = [];
      this.carryLength = 0;
      return;
    }
    this.carry.push(Buffer.from(part));
    this.carryLength += part.length;
  }

  /**
   * `region` holds whole lines (the last may lack its newline only at end of stream). One walk
   * from the start: each term's next occurrence is known, the nearest one's line is looked at, and
   * every term that also occurs on that line moves on past it, so a line is reported once, in
   * order, and nothing is allocated for the lines that hold no term.
   */
  private scanRegion(region: Buffer, offset: number): void {
    const hasNul = region.indexOf(0) >= 0;
    if (hasNul) this.countBinary(region, offset);
    const terms = this.terms;
    const next = this.next;
    const n = next.length;
    for (let i = 0; i < n; i++) next[i] = terms.find(region, i, 0);
    for (;;) {
      let p = -1;
      for (let i = 0; i < n; i++) if (next[i]! >= 0 && (p < 0 || next[i]! < p)) p = next[i]!;
      if (p < 0) return;
      const ls = region.lastIndexOf(NL, p) + 1;
      let le = region.indexOf(NL, p);
      if (le < 0) le = region.length;
      let counts = false;
      for (let i = 0; i < n; i++) {
        if (next[i]! < 0 || next[i]! >= le) continue;
        counts ||= terms.counts(i, region, ls, le);
        next[i] = le + 1 < region.length ? terms.find(region, i, le + 1) : -1;
      }
      if (!counts) continue;
      if (hasNul && region.subarray(ls, le).indexOf(0) >= 0) continue; // counted as binary above
      if (le > ls && region[le - 1] === 13) le -= 1;
      this.sink.hit(region.toString('utf8', ls, le), offset + ls);
    }
  }

  private countBinary(region: Buffer, offset: number): void {
    let count = 0;
    let first = -1;
    let p = region.indexOf(0);
    while (p >= 0) {
      if (first < 0) first = region.lastIndexOf(NL, p) + 1;
      count += 1;
      const le = region.indexOf(NL, p);
      if (le < 0) break;
      p = region.indexOf(0, le + 1);
    }
    this.sink.binaryLines(offset + first, count);
  }
}
