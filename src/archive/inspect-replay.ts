/**
 * The last step of inspecting an archive: how far WAL replay carries the backup `wal-e backup-fetch
 * LATEST` restores (latest-backup.ts), across timeline switches and gaps.
 */
import type { ObjectInfo } from '../core/seams.js';
import { backupLabelName } from '../wale/keys.js';
import type { HistoryEntry } from '../wale/history.js';
import type { BackupWindow, BaseBackupInfo, LostWal, WalGap } from '../wale/report.js';
import { compareSegments, formatTimeline, parseSegment, segmentIndex, tryParseSegment, type Segment } from '../wale/segments.js';
import { ownerOf, spansFromHistory, spansFromSegments, walkChain, type TimelineSpan } from '../wale/chain.js';
import type { Findings } from './inspect-layout.js';
import type { WalInventory } from './wal-inventory.js';

export interface Replay {
  restorable: boolean;
  restorableTo: string | null;
  restorableToAt: string | null;
  targetTimeline: number | null;
  gaps: WalGap[];
  lost: LostWal | null;
}

export interface ReplayInput {
  latest: BaseBackupInfo;
  latestBySegment: BaseBackupInfo | null;
  pgVersion: string | null;
  wal: WalInventory;
  segments: Map<string, ObjectInfo>;
  histories: Map<number, ObjectInfo>;
  readHistory: (key: string) => Promise<HistoryEntry[]>;
}

/** Whether LATEST restores, and how far replay carries it. */
export async function replayFromLatest(input: ReplayInput, found: Findings): Promise<Replay> {
  const { latest, latestBySegment } = input;
  if (latestBySegment && latestBySegment !== latest) {
    found.warnings.push(
      `wal-e restores LATEST by sentinel LastModified: ${latest.name} (${latest.lastModified}), but the newest backup by WAL position is ${latestBySegment.name} (${latestBySegment.lastModified}). ` +
        `Copies reset LastModified (aws/aws-cli#2000), so an "aws s3 sync" can cause this. Replay still runs on through all archived WAL, so nothing is lost if the WAL below is complete; it only takes longer.`,
    );
  }
  const blockers: string[] = [];
  if (!latest.complete) blockers.push(...latest.issues);
  if (!latest.labelKey) {
    blockers.push(
      `the backup label wal_005/${backupLabelName(latest.startSegment, latest.startOffset)}.lzo is missing (the archive copy looks incomplete)`,
    );
  }
  const replay: Replay = { restorable: false, restorableTo: null, restorableToAt: null, targetTimeline: null, gaps: [], lost: null };
  if (latest.stopSegment) await walkFromLatest(input, latest.stopSegment, blockers, replay, found);
  if (blockers.length > 0) {
    found.problems.unshift(`LATEST (${latest.name}) cannot be restored: ${blockers.join('; ')}.`);
  } else {
    replay.restorable = true;
  }
  return replay;
}

/**
 * What every base backup reaches, as `wal-g wal-verify` and pgBackRest `verify` check it: the walk
 * LATEST gets (every segment from its start to the newest one on its chain), for each backup.
 */
export async function backupWindows(
  infos: BaseBackupInfo[],
  input: Omit<ReplayInput, 'latest' | 'latestBySegment'>,
): Promise<BackupWindow[]> {
  const windows: BackupWindow[] = [];
  for (const backup of infos) {
    const found: Findings = { problems: [], warnings: [] };
    const r = await replayFromLatest({ ...input, latest: backup, latestBySegment: null }, found);
    windows.push({
      backup: backup.name,
      complete: backup.complete,
      restorable: r.restorable,
      reachesTo: r.restorableTo,
      reachesToAt: r.restorableToAt,
      gaps: r.gaps,
      lost: r.restorable ? r.lost : null,
      problems: found.problems.map((p) => p.replace(/^LATEST \(([^)]+)\)/, '$1')),
    });
  }
  return windows;
}

/** The timelines replay follows from LATEST's start, as spans of WAL positions. */
async function timelineSpans(input: ReplayInput, start: Segment, found: Findings): Promise<{ target: number; spans: TimelineSpan[] }> {
  const { wal, pgVersion } = input;
  const plan = await replayTimelines(start.tli, input.histories, input.readHistory);
  let spans: TimelineSpan[];
  if (plan.history) spans = spansFromHistory(plan.target, plan.history, pgVersion);
  else {
    const tls = [...new Set([start.tli, ...wal.timelines])].filter((t) => t >= start.tli && t <= plan.target).sort((a, b) => a - b);
    const firstIndex = new Map([...wal.present].map(([t, l]) => [t, l[0]!] as const));
    spans = spansFromSegments(tls, firstIndex);
    found.warnings.push(
      `${formatTimeline(plan.target)}.history could not be used (${plan.historyError}); timeline switches were inferred from the first segment of each timeline.`,
    );
  }
  return { target: plan.target, spans };
}

/**
 * WAL archived on a timeline past the one recovery ends on: a promotion whose history file is not
 * in the archive. Replay never reads it, so what was written there is lost; null when there is none.
 */
function pastTarget(input: ReplayInput, target: number): { timeline: number; first: string; last: string } | null {
  let first: { name: string; s: Segment } | null = null;
  for (const name of input.segments.keys()) {
    const s = tryParseSegment(name)!;
    if (s.tli <= target) continue;
    if (first === null || s.tli < first.s.tli || (s.tli === first.s.tli && compareSegments(s, first.s) < 0)) first = { name, s };
  }
  if (first === null) return null;
  return { timeline: first.s.tli, first: first.name, last: input.wal.last?.name ?? first.name };
}

/** Walks the WAL chain from LATEST's start through its stop segment and on: gaps, what is lost, how far replay goes. */
async function walkFromLatest(input: ReplayInput, stopSegment: string, blockers: string[], replay: Replay, found: Findings): Promise<void> {
  const { latest, pgVersion } = input;
  const start = parseSegment(latest.startSegment);
  const stop = parseSegment(stopSegment);
  const { target, spans } = await timelineSpans(input, start, found);
  replay.targetTimeline = target;
  if (ownerOf(spans, segmentIndex(start, pgVersion)) !== start.tli) {
    blockers.push(
      `it was taken on timeline ${start.tli} at ${latest.startSegment}, which is not on the history of timeline ${target}; PostgreSQL refuses to follow timeline ${target} from it`,
    );
    return;
  }
  const chain = walkChain(spans, input.wal.present, start, stop, pgVersion);
  replay.gaps = chain.gaps.map(({ from, to, count }) => ({ from, to, count }));
  const stopIdx = segmentIndex(stop, pgVersion);
  const early = chain.gaps.filter((g) => g.fromIndex <= stopIdx);
  if (early.length > 0) {
    blockers.push(`WAL ${range(early[0]!)} is missing, and replay needs every segment up to ${stopSegment} to make the backup consistent`);
  }
  // A gap after the stop segment does not stop the restore: the database comes up consistent, but
  // replay ends at the gap, so restorable stays true with restorableTo at the last contiguous
  // segment and a problem saying what is lost.
  const late = chain.gaps.filter((g) => g.fromIndex > stopIdx);
  if (late.length > 0 && early.length === 0) {
    replay.lost = { from: late[0]!.from, to: chain.end, missing: late[0]!.from };
    found.problems.push(
      `WAL ${range(late[0]!)} is missing: replay stops at ${chain.lastContiguous}, and data written after it would be lost` +
        (late.length > 1 ? ` (${late.length} gaps in all, up to ${chain.end})` : ` (archived WAL goes on to ${chain.end})`) +
        '. Look for the missing segments in another copy of the archive before restoring.',
    );
  }
  const past = pastTarget(input, target);
  if (past && early.length === 0) {
    replay.lost = {
      from: replay.lost?.from ?? past.first,
      to: past.last,
      missing: replay.lost?.missing ?? `${formatTimeline(target + 1)}.history`,
    };
    found.problems.push(
      `WAL was archived on timeline ${past.timeline} (from ${past.first}), but recovery stops at timeline ${target} because ${formatTimeline(target + 1)}.history is not in the archive (as ${formatTimeline(target + 1)}.history.lzo, the only name wal-fetch asks for): writes made after the promotion to timeline ${past.timeline} would be lost. Look for the history file in another copy of the archive before restoring.`,
    );
  }
  if (chain.offChain > 0) {
    found.warnings.push(
      `${chain.offChain} segment(s) were archived on a parent timeline after a later timeline branched off; replay does not read them.`,
    );
  }
  if (blockers.length === 0) {
    replay.restorableTo = chain.lastContiguous;
    const seg = replay.restorableTo ? input.segments.get(replay.restorableTo) : undefined;
    replay.restorableToAt = seg ? seg.lastModified.toISOString() : null;
  }
}

/**
 * recovery_target_timeline = 'latest' ends on the newest timeline reachable
 * through consecutive history files; that timeline's history lists its ancestors.
 */
async function replayTimelines(
  start: number,
  histories: Map<number, ObjectInfo>,
  readHistory: (key: string) => Promise<HistoryEntry[]>,
): Promise<{ target: number; history: HistoryEntry[] | null; historyError: string }> {
  let target = start;
  while (histories.has(target + 1)) target++;
  if (target === start) return { target, history: [], historyError: '' };
  try {
    return { target, history: await readHistory(histories.get(target)!.key), historyError: '' };
  } catch (err) {
    // A read's error comes redacted from the reader (inspect.ts); a parse error quotes the archive, never a secret.
    return { target, history: null, historyError: err instanceof Error ? err.message : String(err) };
  }
}

function range(g: WalGap): string {
  return g.count === 1 ? g.from : `from ${g.from} to ${g.to} (${g.count} segments)`;
}
