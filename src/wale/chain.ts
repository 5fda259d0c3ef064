/**
 * The WAL chain replay walks from a base backup, across timeline switches.
 *
 * Recovery with recovery_target_timeline = 'latest' follows the newest
 * timeline whose history file exists (PostgreSQL probes <TLI+1>.history,
 * <TLI+2>.history… and stops at the first missing one). That timeline's
 * history lists every ancestor with its switch point: segments before the
 * switch come from the parent, the segment holding the switch point and later
 * ones from the child (PostgreSQL copies the start of that segment into the
 * child's file). Like `wal-g wal-verify integrity`, every segment between the
 * backup's start and the newest segment on the chain must be archived.
 */
import type { HistoryEntry } from './history.js';
import { switchSegment } from './history.js';
import { formatSegment, segmentAtIndex, segmentIndex, type Segment } from './segments.js';
import type { WalGap } from './report.js';

/** The segment positions (inclusive) a timeline supplies to replay. */
export interface TimelineSpan {
  tli: number;
  from: number;
  to: number;
}

export function spansFromHistory(target: number, history: HistoryEntry[], pgMajor: string | null): TimelineSpan[] {
  const per = segmentIndex({ tli: 0, log: 1, seg: 0 }, pgMajor);
  const spans: TimelineSpan[] = [];
  let from = 0;
  for (const e of history) {
    const s = switchSegment(e);
    const at = s.log * per + s.seg;
    spans.push({ tli: e.parentTimeline, from, to: at - 1 });
    from = Math.max(from, at);
  }
  spans.push({ tli: target, from, to: Number.POSITIVE_INFINITY });
  return spans;
}

/**
 * Without a readable history file: each later timeline is taken to start at
 * its first archived segment, with the previous timeline as its parent.
 */
export function spansFromSegments(timelines: number[], firstIndex: Map<number, number>): TimelineSpan[] {
  const spans: TimelineSpan[] = [];
  timelines.forEach((tli, i) => {
    const from = i === 0 ? 0 : (firstIndex.get(tli) ?? Number.POSITIVE_INFINITY);
    if (spans.length > 0) spans.at(-1)!.to = from - 1;
    spans.push({ tli, from, to: Number.POSITIVE_INFINITY });
  });
  return spans;
}

export function ownerOf(spans: TimelineSpan[], index: number): number | null {
  for (const s of spans) if (s.from <= index && index <= s.to) return s.tli;
  return null;
}

export interface ChainResult {
  gaps: (WalGap & { fromIndex: number; toIndex: number })[];
  /** Newest segment on the chain (at least the stop segment). */
  end: string;
  /** Last segment before the first gap, or `end` without gaps; null when the start itself is missing. */
  lastContiguous: string | null;
  /** Segments on the chain's timelines that replay never reads (after a switch on the parent). */
  offChain: number;
}

/**
 * `present` maps a timeline to the sorted positions of its archived segments.
 * `start`/`stop` are the backup's start and stop segments.
 */
export function walkChain(
  spans: TimelineSpan[],
  present: Map<number, number[]>,
  start: Segment,
  stop: Segment,
  pgMajor: string | null,
): ChainResult {
  const startIdx = segmentIndex(start, pgMajor);
  const stopIdx = segmentIndex(stop, pgMajor);
  const owned: number[] = [];
  let offChain = 0;
  for (const span of spans) {
    for (const idx of present.get(span.tli) ?? []) {
      if (idx >= span.from && idx <= span.to) {
        if (idx >= startIdx) owned.push(idx);
      } else if (idx > span.to) offChain++;
    }
  }
  owned.sort((a, b) => a - b);
  const nameAt = (idx: number): string => formatSegment(segmentAtIndex(ownerOf(spans, idx) ?? start.tli, idx, pgMajor));
  const gaps: ChainResult['gaps'] = [];
  const gap = (from: number, to: number): void => {
    gaps.push({ from: nameAt(from), to: nameAt(to), count: to - from + 1, fromIndex: from, toIndex: to });
  };
  let expected = startIdx;
  for (const idx of owned) {
    if (idx > expected) gap(expected, idx - 1);
    expected = Math.max(expected, idx + 1);
  }
  if (expected <= stopIdx) gap(expected, stopIdx);
  const endIdx = Math.max(expected - 1, stopIdx);
  const firstGap = gaps[0];
  const lastIdx = firstGap ? firstGap.fromIndex - 1 : endIdx;
  return {
    gaps,
    end: nameAt(endIdx),
    lastContiguous: lastIdx >= startIdx ? nameAt(lastIdx) : null,
    offChain,
  };
}
