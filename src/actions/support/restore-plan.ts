/**
 * What the restoring container has to do, read from the archive at its own prefix (the copy it
 * restores from): wal-e's LATEST (the base backup backup-fetch takes, its partitions and expanded
 * size), the WAL replay reads from its first segment to the last one reachable without a gap (a
 * checked `.partial` the copy step put under its segment's full name counts), and so how long the
 * wait may take. Only read: an archive that cannot be read leaves the run's --restore-deadline.
 */
import type { StepContext } from '../../engine/executor/index.js';
import { inspectArchive } from '../../archive/inspect.js';
import { formatBytes } from '../../core/format.js';
import { roughDuration } from '../../core/duration.js';
import { messageOf } from '../../core/errors.js';
import { segmentDistance, tryParseSegment } from '../../wale/segments.js';

export interface RestorePlan {
  /** LATEST's name, partitions and expanded size (null when unknown). */
  backup: string | null;
  partitions: number | null;
  expandedBytes: number | null;
  /** The first segment replay reads (LATEST's start) and the last it can reach. */
  firstSegment: string | null;
  lastSegment: string | null;
  /** Segments from the first to the last, both counted. */
  segments: number | null;
  /** The archive's PostgreSQL major (9.2 and before skip segment FF). */
  pgMajor: string | null;
  deadlineMs: number;
  /** Where the deadline comes from, in words. */
  basis: string;
}

/**
 * The rates the deadline assumes, slow on purpose: backup-fetch reads S3 through lzop and tar at
 * 8 MiB/s or better; each wal-fetch is a wal-e process (Python's start, an S3 GET, lzop) plus the
 * replay of 16 MiB, 6 s or less; the container's start (run.sh waits for registrator, Patroni's first
 * cycles) and the promotion take 5 minutes at most.
 */
const FETCH_BYTES_PER_SECOND = 8 * 1024 * 1024;
const SECONDS_PER_SEGMENT = 6;
const START_AND_PROMOTION_MS = 5 * 60_000;

export async function restorePlan(ctx: StepContext, restoredArchiveUrl: string | undefined, lastSegment?: string): Promise<RestorePlan> {
  const unknown = (why: string): RestorePlan => ({
    backup: null,
    partitions: null,
    expandedBytes: null,
    firstSegment: null,
    lastSegment: lastSegment || null,
    segments: null,
    pgMajor: null,
    deadlineMs: ctx.settings.restoreDeadlineMs,
    basis: `--restore-deadline (${why})`,
  });
  if (!restoredArchiveUrl) return unknown('no archive to size it by');
  let report;
  try {
    report = await inspectArchive(ctx.s3, restoredArchiveUrl, { redactor: ctx.runtime.redactor });
  } catch (err) {
    return unknown(`the archive at ${restoredArchiveUrl} could not be read: ${ctx.runtime.redactor.redact(messageOf(err))}`);
  }
  const latest = report.latest;
  const first = latest?.startSegment ?? null;
  const last = report.restorableTo ?? (lastSegment || null);
  const from = first ? tryParseSegment(first) : null;
  const to = last ? tryParseSegment(last) : null;
  const segments = from && to ? segmentDistance(from, to, report.pgVersion) + 1 : null;
  const bytes = latest?.expandedSizeBytes ?? null;
  if (bytes === null && segments === null) return unknown(`${restoredArchiveUrl} names no LATEST base backup to size it by`);
  const deadlineMs = START_AND_PROMOTION_MS + ((bytes ?? 0) / FETCH_BYTES_PER_SECOND) * 1000 + (segments ?? 0) * SECONDS_PER_SEGMENT * 1000;
  const basis = [
    bytes === null ? null : `base backup ${latest?.name ?? ''} of ${formatBytes(bytes)} expanded at 8 MiB/s`,
    segments === null ? null : `${segments} WAL segment${segments === 1 ? '' : 's'} at ${SECONDS_PER_SEGMENT} s each`,
    '5 min to start and promote',
  ]
    .filter(Boolean)
    .join(', ');
  return {
    backup: latest?.name ?? null,
    partitions: latest ? latest.partitions.length : null,
    expandedBytes: bytes,
    firstSegment: first,
    lastSegment: last,
    segments,
    pgMajor: report.pgVersion,
    deadlineMs: Math.round(deadlineMs),
    basis: `${roughDuration(deadlineMs)} from the archive: ${basis}`,
  };
}
