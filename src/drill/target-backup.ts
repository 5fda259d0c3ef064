/**
 * The base backup a restore to a target other than a moment starts from: for a WAL location, the
 * newest one that ended at it or before (refused when the location is before the earliest backup's
 * end or after the newest archived WAL); for a transaction or a restore point, which carry no
 * position, the earliest complete one, whose replay passes every later commit; for `immediate`, the
 * backup named, else LATEST.
 */
import type { ArchiveReport, BaseBackupInfo } from '../wale/report.js';
import { parseLsn, parseSegment, SEGMENT_BYTES, formatLsn, segmentStartLsn } from '../wale/segments.js';
import { DrillFailed } from './exit-codes.js';
import { describeStop, type StopPoint } from './recovery-target.js';

/** The LSN of a segment's first byte plus `offset`. */
function lsnIn(segment: string, offset: number): bigint {
  return segmentStartLsn(parseSegment(segment)) + BigInt(offset);
}

/** Where a complete backup's copy became consistent: its stop position, null when the sentinel does not say. */
export function backupStopLsn(b: BaseBackupInfo): bigint | null {
  return b.stopSegment === null || b.stopOffset === null ? null : lsnIn(b.stopSegment, b.stopOffset);
}

/** Where a backup started (its name's segment and offset). */
export function backupStartLsn(b: BaseBackupInfo): bigint {
  return lsnIn(b.startSegment, b.startOffset);
}

/** The end of the newest segment replay reaches without a hole, null when none is archived. */
function archiveEndLsn(report: ArchiveReport): bigint | null {
  const newest = report.restorableTo ?? report.lastSegment;
  return newest ? lsnIn(newest, SEGMENT_BYTES) : null;
}

/** The base backup to restore for `stop`: the one `named`, else as above (target-time.ts chooses for a moment). */
export function backupForStop(report: ArchiveReport, stop: StopPoint, latest: BaseBackupInfo, named?: string): BaseBackupInfo {
  const complete = report.baseBackups.filter((b) => b.complete);
  if (named !== undefined) {
    const found = complete.find((b) => b.name === named);
    if (!found) {
      throw new DrillFailed('not-restorable', `the archive has no complete base backup ${JSON.stringify(named)}`, {
        hint: `Its complete base backups: ${complete.map((b) => b.name).join(', ') || 'none'} (archive inspect lists them).`,
      });
    }
    return found;
  }
  if (stop.kind === 'immediate' || stop.kind === 'time') return latest;
  if (stop.kind !== 'lsn') return complete[0] ?? latest;
  const target = parseLsn(stop.lsn);
  const ends = complete
    .map((b) => ({ b, stop: backupStopLsn(b) }))
    .filter((e): e is { b: BaseBackupInfo; stop: bigint } => e.stop !== null)
    .sort((x, y) => (x.stop < y.stop ? -1 : x.stop > y.stop ? 1 : 0));
  const end = archiveEndLsn(report);
  const reach =
    ends.length && end !== null
      ? `the archive reaches from ${formatLsn(ends[0]!.stop)} (the earliest base backup's end) to ${formatLsn(end)} (the end of WAL ${report.restorableTo ?? report.lastSegment})`
      : 'the archive has no complete base backup whose end is known';
  const hint = 'Give a --target-lsn inside that range (archive mistakes lists the commits and their locations).';
  const before = ends.filter((e) => e.stop <= target);
  const chosen = before[before.length - 1];
  if (!chosen || end === null) {
    throw new DrillFailed('not-restorable', `--target-lsn ${stop.lsn} is before any base backup ended: ${reach}`, { hint });
  }
  if (target > end) {
    throw new DrillFailed('not-restorable', `--target-lsn ${stop.lsn} is after the newest archived WAL: ${reach}`, { hint });
  }
  return chosen.b;
}

/** Refusal when replay ran through the archived WAL without meeting `stop`: the target is not in the archive. */
export function targetNotInArchive(stop: StopPoint, reached: string | null): DrillFailed {
  return new DrillFailed(
    'not-restorable',
    `replay went through the archived WAL${reached ? ` to ${reached}` : ''} without meeting ${describeStop(stop)}: it is not in the WAL after the base backup`,
    {
      hint:
        stop.kind === 'xid'
          ? 'archive mistakes lists the transactions committed in the archived WAL with their ids; a transaction that committed before the base backup ended cannot be stopped at.'
          : 'archive mistakes lists the restore points in the archived WAL; a restore point made before the base backup ended cannot be stopped at.',
    },
  );
}
