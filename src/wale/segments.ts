/**
 * WAL segment names: TLI(8) LOG(8) SEG(8), upper-case hex, 16 MiB segments.
 *
 * PostgreSQL before 9.3 never used the segment numbered FF in each log file, so
 * there the segment after xxxxxxxxFE is (LOG+1)00; from 9.3 on SEG FF carries
 * into LOG+1. Functions that step through WAL take the major version for that.
 */
import { UsageError } from '../core/errors.js';

export interface Segment {
  tli: number;
  log: number;
  seg: number;
}

export const SEGMENT_BYTES = 16 * 1024 * 1024;

const NAME = /^[0-9A-F]{24}$/;

export function isSegmentName(name: string): boolean {
  return NAME.test(name);
}

export function tryParseSegment(name: string): Segment | null {
  if (!NAME.test(name)) return null;
  return {
    tli: parseInt(name.slice(0, 8), 16),
    log: parseInt(name.slice(8, 16), 16),
    seg: parseInt(name.slice(16, 24), 16),
  };
}

export function parseSegment(name: string): Segment {
  const s = tryParseSegment(name);
  if (!s) {
    throw new UsageError(`"${name}" is not a WAL segment name`, {
      hint: 'a segment name is 24 upper-case hex digits: timeline, log and segment, e.g. 000000010000000000000002',
    });
  }
  return s;
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

export function formatSegment(s: Segment): string {
  return hex8(s.tli) + hex8(s.log) + hex8(s.seg);
}

export function formatTimeline(tli: number): string {
  return hex8(tli);
}

/** True when the major version ("9.2", "15") predates 9.3, i.e. SEG FF is never used. Unknown → false. */
export function skipsSegmentFF(pgMajor: string | null | undefined): boolean {
  if (!pgMajor) return false;
  const m = /^(\d+)(?:\.(\d+))?/.exec(pgMajor);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return major < 9 || (major === 9 && minor < 3);
}

function segmentsPerLog(pgMajor?: string | null): number {
  return skipsSegmentFF(pgMajor) ? 0xff : 0x100;
}

/** Position of a segment on its timeline, counting only segments the server version uses. */
export function segmentIndex(s: Segment, pgMajor?: string | null): number {
  return s.log * segmentsPerLog(pgMajor) + s.seg;
}

export function segmentAtIndex(tli: number, index: number, pgMajor?: string | null): Segment {
  const per = segmentsPerLog(pgMajor);
  return { tli, log: Math.floor(index / per), seg: index % per };
}

export function nextSegment(s: Segment, pgMajor?: string | null): Segment {
  return segmentAtIndex(s.tli, segmentIndex(s, pgMajor) + 1, pgMajor);
}

/** WAL position order (LOG, SEG), then timeline: the order in which replay meets segments. */
export function compareSegments(a: Segment, b: Segment): number {
  return a.log - b.log || a.seg - b.seg || a.tli - b.tli;
}

/** How many segments `to` lies after `from` (negative when before); timelines are ignored. */
export function segmentDistance(from: Segment, to: Segment, pgMajor?: string | null): number {
  return segmentIndex(to, pgMajor) - segmentIndex(from, pgMajor);
}

/** Segments from `from` to `to` inclusive, on `from`'s timeline. */
export function* segmentRange(from: Segment, to: Segment, pgMajor?: string | null): Generator<Segment> {
  const last = segmentIndex(to, pgMajor);
  for (let i = segmentIndex(from, pgMajor); i <= last; i++) yield segmentAtIndex(from.tli, i, pgMajor);
}

/** An LSN "X/Y" (both hex) as a 64-bit number. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) {
    throw new UsageError(`"${text}" is not a WAL location`, {
      hint: 'a WAL location (LSN) looks like 0/2000028: two hex numbers separated by "/"',
    });
  }
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The LSN of the first byte of segment `s` (XLogSegNoOffsetToRecPtr), its timeline aside. */
export function segmentStartLsn(s: Segment): bigint {
  return (BigInt(s.log) << 32n) + BigInt(s.seg) * BigInt(SEGMENT_BYTES);
}

/** The segment holding the byte at `lsn` on timeline `tli` (XLByteToSeg). */
export function segmentOfLsn(lsn: string | bigint, tli: number): Segment {
  const v = typeof lsn === 'bigint' ? lsn : parseLsn(lsn);
  return { tli, log: Number(v >> 32n), seg: Number((v & 0xffffffffn) / BigInt(SEGMENT_BYTES)) };
}
