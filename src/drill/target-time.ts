/**
 * A drill to a moment (`--target-time`): the moment as the operator wrote it, the base backup
 * it restores from (the newest one that ended before it), and the range of moments the archive
 * can reach at all (from the earliest base backup's end to the newest archived WAL).
 */
import { UsageError } from '../core/errors.js';
import type { ArchiveReport, BaseBackupInfo } from '../wale/report.js';
import { type ArchiveAccess, backupEnd, type FinishedAt } from './backup-age.js';
import type { DrillReport } from './drill-report.js';
import { DrillFailed } from './exit-codes.js';

export interface TargetTime {
  /** For PostgreSQL: as given, with its zone normalised and the microseconds a Date would drop. */
  text: string;
  /** The moment to the millisecond, for comparisons with times kept to the second. */
  at: Date;
  /** The moment in UTC, ISO 8601, with every digit of its fraction given (microseconds kept): for the journal and reports. */
  iso: string;
  /** Where it was given, for messages: the flag, or a runbook's input. */
  given: string;
}

const ISO_WITH_ZONE = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?)\s?(Z|[+-]\d\d(?::?\d\d)?)$/i;

/**
 * An ISO 8601 moment with its zone, e.g. 2016-11-21T14:01:30Z or 2016-11-21 15:01:30.25+01:00;
 * `what` names where it was given in the error (the flag, or a runbook's input).
 */
export function parseTargetTime(text: string, what = '--target-time'): TargetTime {
  const trimmed = text.trim();
  const m = ISO_WITH_ZONE.exec(trimmed);
  const usage = (why: string): UsageError =>
    new UsageError(`${what} "${text}" ${why}`, {
      hint: 'Give the moment in ISO 8601 with its zone, e.g. 2016-11-21T14:01:30Z (UTC) or 2016-11-21T15:01:30+01:00.',
    });
  if (!m) {
    throw usage(
      /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(trimmed)
        ? 'has no time zone: the same clock time is a different moment in each zone'
        : 'is not an ISO 8601 date and time',
    );
  }
  const zone = m[3]!.toUpperCase() === 'Z' ? 'Z' : m[3]!.length === 3 ? `${m[3]}:00` : m[3]!.replace(/^([+-]\d\d):?(\d\d)$/, '$1:$2');
  const at = new Date(`${m[1]}T${m[2]}${zone}`);
  // Date rolls 2016-02-30 over into March: the day must read back as written.
  const day = new Date(`${m[1]}T00:00:00Z`);
  if (Number.isNaN(at.getTime()) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== m[1]) {
    throw usage('is not a valid date and time');
  }
  return { text: `${m[1]} ${m[2]}${zone === 'Z' ? '+00' : zone}`, at, iso: isoWithMicroseconds(at, m[2]!), given: what };
}

/** `at` in UTC ISO 8601, with the fraction's digits past the millisecond (a Date drops them) put back. */
function isoWithMicroseconds(at: Date, clock: string): string {
  const beyondMs = /\.\d{3}(\d{1,3})$/.exec(clock)?.[1];
  return beyondMs ? at.toISOString().replace(/Z$/, `${beyondMs}Z`) : at.toISOString();
}

/** A complete base backup and when it ended. */
export interface EndedBackup {
  backup: BaseBackupInfo;
  finished: FinishedAt;
  /** Both label and LastModified keep whole seconds: the backup had ended by the end of that second. */
  endedBy: Date;
}

/** The moments a restore of this archive can reach. */
interface ReachableRange {
  earliest: Date;
  latest: Date;
  /** What `latest` is. */
  latestSource: string;
}

/** A complete base backup whose end cannot be known (a label's zone that names several moments, a copied archive), and why. */
export interface UnknownBackupEnd {
  backup: BaseBackupInfo;
  why: string;
}

/**
 * When each complete base backup ended (its label's STOP TIME, else its sentinel's LastModified
 * where no copy reset it), oldest first; and those whose end cannot be known, which no moment is
 * restored from.
 */
export async function backupEnds(
  where: ArchiveAccess,
  report: ArchiveReport,
): Promise<{ known: EndedBackup[]; unknown: UnknownBackupEnd[] }> {
  const complete = report.baseBackups.filter((b) => b.complete);
  const ends = await Promise.all(complete.map(async (backup) => ({ backup, end: await backupEnd(where, backup) })));
  const known: EndedBackup[] = [];
  const unknown: UnknownBackupEnd[] = [];
  for (const { backup, end } of ends) {
    if (end.at) known.push({ backup, finished: end, endedBy: endOfSecond(end.at) });
    else unknown.push({ backup, why: end.why });
  }
  return { known: known.sort((a, b) => a.endedBy.getTime() - b.endedBy.getTime()), unknown };
}

/** A time kept to the second (S3's LastModified, a label's STOP TIME): what it dates happened by the end of that second. */
export function endOfSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000 + 999);
}

/** From the earliest backup's end to the newest WAL replay reaches (when it was archived). */
function reachableRange(ends: EndedBackup[], report: ArchiveReport): ReachableRange | null {
  const first = ends[0];
  const newestWal = report.restorableToAt ?? report.lastSegmentAt;
  if (!first) return null;
  const last = ends[ends.length - 1]!.endedBy;
  if (!newestWal || new Date(newestWal).getTime() < last.getTime()) {
    return { earliest: first.endedBy, latest: last, latestSource: 'the newest base backup ended' };
  }
  return {
    earliest: first.endedBy,
    latest: endOfSecond(new Date(newestWal)),
    latestSource: `WAL ${report.restorableTo ?? report.lastSegment} was archived`,
  };
}

/**
 * The newest base backup that ended by `target` (at it or before); "not restorable" when `target` is
 * out of reach, or no backup's end can be known (`unknown`: each named with why, never a range made up).
 */
export function chooseBackup(
  ends: EndedBackup[],
  report: ArchiveReport,
  target: TargetTime,
  unknown: UnknownBackupEnd[] = [],
): EndedBackup {
  const range = reachableRange(ends, report);
  const before = ends.filter((e) => e.endedBy.getTime() <= target.at.getTime());
  const chosen = before[before.length - 1];
  const unknowable = unknown.map((u) => `the end of ${u.backup.name} cannot be known: ${u.why}`).join('; ');
  if (!range && unknown.length > 0) {
    throw new DrillFailed(
      'not-restorable',
      `${target.given} ${target.iso} cannot be checked against the archive's base backups: ${unknowable}`,
      {
        hint: "Read the backup label (wal_005/<segment>.<offset>.backup.lzo, lzop -dc) to learn when the backup ended; a restore to a moment needs a base backup known to have ended before it. Without one, restore LATEST (drill without --target-time) and look for the moment's rows yourself.",
      },
    );
  }
  const reach = `${
    range
      ? `the archive reaches from ${range.earliest.toISOString()} (the earliest base backup ended) to ${range.latest.toISOString()} (${range.latestSource})`
      : 'the archive has no complete base backup'
  }${unknowable ? `; ${unknowable}` : ''}`;
  const hint = `Give ${target.given === '--target-time' ? 'a --target-time' : target.given} inside that range; writes after the newest archived WAL were never archived.`;
  const reachable = range ? { earliest: range.earliest.toISOString(), latest: range.latest.toISOString() } : undefined;
  if (!range || !chosen) {
    throw new DrillFailed('not-restorable', `${target.given} ${target.iso} is before any base backup ended: ${reach}`, {
      hint,
      reachable,
    });
  }
  if (target.at.getTime() > range.latest.getTime()) {
    throw new DrillFailed('not-restorable', `${target.given} ${target.iso} is after the newest archived WAL: ${reach}`, {
      hint,
      reachable,
    });
  }
  return chosen;
}

/** Where replay stopped for a target: the first transaction left out, and the newest one kept. */
export function targetReached(
  target: TargetTime,
  inclusive: boolean,
  replay: { lastTransactionAt: string | null; stoppedBefore: { transaction: string; at: string } | null },
  archiveEndedFirst: boolean,
): NonNullable<DrillReport['target']> {
  return {
    time: target.iso,
    inclusive,
    stoppedBefore: archiveEndedFirst ? null : replay.stoppedBefore,
    lastTransactionAt: replay.lastTransactionAt,
    archiveEndedFirst,
  };
}
