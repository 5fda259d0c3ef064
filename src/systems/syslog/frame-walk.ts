/**
 * The scan of a stream that holds RFC 6587 octet-counted frames (syslog-frames.ts): record by
 * record, a record being a frame (its message, as long as its header says, newlines included) or,
 * where no frame header stands, a line. Each record is searched for the terms on its own and
 * handed on whole, so a frame that spans lines is one hit and two frames on a line are two.
 * Slower than the line scan, and used only for such streams.
 */
import { frameAt } from '../../adapters/syslog-frames.js';
import type { TermSet } from './term-set.js';

/** What the walk tells of what it finds (the line scan's sink). */
export interface RecordSink {
  hit(line: string, offset: number): void;
  longLine(offset: number, length: number): void;
  binaryLines(offset: number, count: number): void;
}

const NL = 10;
const NO_BYTES = Buffer.alloc(0);

export class FrameWalk {
  /** Bytes of a record not complete yet, and their offset in the stream. */
  private pending: Buffer = NO_BYTES;
  private pendingOffset = 0;
  /** Bytes still to discard of a frame longer than maxRecord. */
  private skipBytes = 0;
  /** Inside a line longer than maxRecord: discard up to its newline. */
  private skipLine = false;

  constructor(
    private readonly terms: TermSet,
    private readonly sink: RecordSink,
    /** Records longer than this are reported, not searched. */
    private readonly maxRecord: number,
  ) {}

  push(chunk: Buffer): void {
    this.walk(chunk, false);
  }

  end(): void {
    this.walk(NO_BYTES, true);
  }

  private walk(chunk: Buffer, final: boolean): void {
    let data = chunk;
    let base = this.pendingOffset + this.pending.length;
    let pos = 0;
    if (this.skipBytes > 0 || this.skipLine) pos = this.skipped(chunk);
    if (this.pending.length > 0) {
      data = Buffer.concat([this.pending, chunk.subarray(pos)]);
      base = this.pendingOffset;
      pos = 0;
    }
    while (pos < data.length) {
      const frame = frameAt(data, pos, data.length);
      let start = pos;
      let end: number;
      let next: number;
      if (frame) {
        if (frame.length > this.maxRecord) {
          this.sink.longLine(base + pos, frame.start - pos + frame.length);
          this.skipBytes = Math.max(0, frame.start + frame.length - data.length);
          pos = Math.min(data.length, frame.start + frame.length);
          continue;
        }
        start = frame.start;
        end = start + frame.length;
        if (end > data.length && !final) break;
        end = Math.min(end, data.length);
        next = end;
        if (data[next] === 13 && data[next + 1] === NL) next += 2;
        else if (data[next] === NL) next += 1;
      } else {
        const nl = data.indexOf(NL, pos);
        if (nl < 0 && !final) break;
        end = nl < 0 ? data.length : nl;
        next = end + 1;
      }
      this.record(data, start, end, base);
      pos = next;
    }
    const rest = data.subarray(Math.min(pos, data.length));
    this.pendingOffset = base + Math.min(pos, data.length);
    if (rest.length > this.maxRecord) {
      this.sink.longLine(this.pendingOffset, rest.length);
      this.skipLine = true;
      this.pending = NO_BYTES;
      this.pendingOffset += rest.length;
      return;
    }
    this.pending = final ? NO_BYTES : Buffer.from(rest);
  }

  /** Discards what is left of an overlong record at the start of `chunk`; returns where the walk goes on. */
  private skipped(chunk: Buffer): number {
    if (this.skipBytes > 0) {
      const pos = Math.min(chunk.length, this.skipBytes);
      this.skipBytes -= pos;
      return pos;
    }
    const nl = chunk.indexOf(NL);
    this.skipLine = nl < 0;
    return nl < 0 ? chunk.length : nl + 1;
  }

  /** Searches the record data[start, end) (a trailing CR left out) and hands it on when a term counts. */
  private record(data: Buffer, start: number, end: number, base: number): void {
    if (end > start && data[end - 1] === 13) end -= 1;
    const rec = data.subarray(start, end);
    if (rec.length === 0) return;
    if (rec.indexOf(0) >= 0) {
      this.sink.binaryLines(base + start, 1);
      return;
    }
    for (let t = 0; t < this.terms.size; t++) {
      if (this.terms.find(rec, t, 0) >= 0 && this.terms.counts(t, rec, 0, rec.length)) {
        this.sink.hit(rec.toString('utf8'), base + start);
        return;
      }
    }
  }
}
