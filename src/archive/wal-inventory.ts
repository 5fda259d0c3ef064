/** What WAL an archive holds, as inspecting it reads the listing: the segments per timeline, the oldest and the newest. */
import type { ObjectInfo } from '../core/seams.js';
import { compareSegments, segmentIndex, skipsSegmentFF, tryParseSegment, type Segment } from '../wale/segments.js';
import type { Findings } from './inspect-layout.js';

/** The archived WAL: segment positions per timeline, the timelines seen, the oldest and newest segment. */
export interface WalInventory {
  present: Map<number, number[]>;
  timelines: Set<number>;
  first: { name: string; s: Segment } | null;
  last: { name: string; s: Segment } | null;
}

export function walInventory(
  segments: Map<string, ObjectInfo>,
  histories: Map<number, ObjectInfo>,
  pgVersion: string | null,
  found: Findings,
): WalInventory {
  const ffSkip = skipsSegmentFF(pgVersion);
  const wal: WalInventory = { present: new Map(), timelines: new Set(histories.keys()), first: null, last: null };
  let ignoredFF = 0;
  for (const name of segments.keys()) {
    const s = tryParseSegment(name)!;
    if (ffSkip && s.seg === 0xff) {
      ignoredFF++;
      continue;
    }
    wal.timelines.add(s.tli);
    let list = wal.present.get(s.tli);
    if (!list) wal.present.set(s.tli, (list = []));
    list.push(segmentIndex(s, pgVersion));
    if (wal.first === null || compareSegments(s, wal.first.s) < 0) wal.first = { name, s };
    if (wal.last === null || compareSegments(s, wal.last.s) > 0) wal.last = { name, s };
  }
  for (const list of wal.present.values()) list.sort((a, b) => a - b);
  if (ignoredFF > 0) {
    found.warnings.push(
      `${ignoredFF} segment(s) end in FF, which PostgreSQL ${pgVersion} never writes; they were left out of the WAL check.`,
    );
  }
  return wal;
}
