/** Where a restoring container stands, in words: what the wait awaits, for how long, and how far the restore has come. */
import type { PromotionPoll } from '../../adapters/postgres-promotion.js';
import { majorOfVersionNum, type ReplayAnswer } from '../../adapters/postgres-replay.js';
import { formatDuration } from '../../core/duration.js';
import { formatSegment, segmentDistance, segmentOfLsn, tryParseSegment } from '../../wale/segments.js';

/**
 * One poll in words. `phase` is what the container's own lines last said (restore-watch.ts), shown
 * while PostgreSQL cannot say it yet; `first` is the first segment replay reads (LATEST's start).
 */
export function describeRestorePoll(poll: PromotionPoll, lastSegment?: string, phase?: string, first?: string): string {
  const took = formatDuration(poll.elapsedMs);
  if (poll.stage === 'promoted') return `promoted after ${took} (pg_is_in_recovery() = f), poll ${poll.attempt}`;
  const state =
    poll.stage === 'not-running'
      ? `container not running yet (${poll.detail})`
      : poll.stage === 'not-ready'
        ? `not accepting connections yet (${poll.detail})`
        : `replaying the archive: ${describeReplay(poll.replay, lastSegment, first)}`;
  const doing = phase && poll.stage !== 'in-recovery' ? `${phase}; ${state}` : state;
  return `waiting for pg_is_in_recovery() = f, ${took}: ${doing}, poll ${poll.attempt}`;
}

/**
 * "WAL segment X of Y": X holds the last record replayed, Y is the archive's last segment (when
 * known); with the first segment replay reads, also how many of how many.
 */
export function describeReplay(replay: ReplayAnswer | undefined, lastSegment?: string, first?: string): string {
  if (replay?.kind !== 'position') return `replay position unknown (${replay?.detail ?? 'not asked'})`;
  const { lsn, timeline, versionNum } = replay.position;
  const last = lastSegment ? tryParseSegment(lastSegment) : null;
  const tli = timeline ?? last?.tli;
  if (tli === undefined) return `replayed up to ${lsn}`;
  const at = segmentOfLsn(lsn, tli);
  if (!last) return `WAL segment ${formatSegment(at)}`;
  const major = majorOfVersionNum(versionNum);
  return `WAL segment ${formatSegment(at)} of ${formatSegment(last)}${countOf(formatSegment(at), formatSegment(last), first, major)}`;
}

/** ` (n of m)` from the first segment, else ` (k to go)`, else nothing at the last. */
export function countOf(at: string, last: string, first: string | undefined, major: string | null): string {
  const a = tryParseSegment(at);
  const l = tryParseSegment(last);
  const f = first ? tryParseSegment(first) : null;
  if (!a || !l) return '';
  if (f) return ` (${segmentDistance(f, a, major) + 1} of ${segmentDistance(f, l, major) + 1})`;
  const left = segmentDistance(a, l, major);
  return left > 0 ? ` (${left} to go)` : '';
}
