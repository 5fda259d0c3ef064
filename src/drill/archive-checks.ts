/**
 * What a drill checks before it restores anything: the archive is restorable (and, unless
 * told otherwise, replayable up to its newest WAL), LATEST is recent enough, and the
 * PostgreSQL version that wrote it is known.
 */
import type { Redactor } from '../core/redact.js';
import { formatDuration } from '../core/duration.js';
import type { ObjectStore } from '../core/seams.js';
import { inspectArchive } from '../archive/inspect.js';
import { missingOf, type ArchiveReport, type BaseBackupInfo } from '../wale/report.js';
import { type ArchiveAccess, backupFinishedAt, type FinishedAt } from './backup-age.js';
import { DrillFailed } from './exit-codes.js';
import { lostRange } from './replay.js';

/** The archive's inspection (told to `seen` first) and its LATEST backup; throws "not restorable" when it is not. */
export async function checkRestorable(
  store: ObjectStore,
  archive: string,
  requireComplete: boolean,
  redactor: Redactor,
  seen?: (report: ArchiveReport) => void,
): Promise<{ report: ArchiveReport; latest: BaseBackupInfo }> {
  const report = await inspectArchive(store, archive, { redactor });
  seen?.(report);
  const latest = report.latest;
  if (!report.restorable || !latest) {
    throw new DrillFailed(
      'not-restorable',
      `${archive} is not restorable: ${report.problems.join('; ') || 'it has no complete base backup'}`,
      {
        hint: "List the prefix (aws s3 ls --recursive) to see what it holds; the archive is the instance's s3://BUCKET/backups/GUID/wal/ folder.",
      },
    );
  }
  if (report.lost && requireComplete) {
    throw new DrillFailed(
      'not-restorable',
      `${archive} is not restorable up to its newest WAL: WAL ${lostRange(report.lost)} cannot be replayed (${missingOf(report.lost)} is missing), so what was written after ${report.restorableTo} would be lost`,
      {
        hint: `Look for ${missingOf(report.lost)} in another copy of the archive before relying on it; a restore now stops at ${report.restorableTo}.`,
        lost: report.lost,
      },
    );
  }
  return { report, latest };
}

/** When LATEST finished and how long ago; throws "too old" beyond `maxAgeMs`. */
export async function checkAge(
  where: ArchiveAccess,
  latest: BaseBackupInfo,
  now: () => Date,
  maxAgeMs: number | undefined,
): Promise<{ finished: FinishedAt; ageMs: number }> {
  const finished = await backupFinishedAt(where, latest);
  const ageMs = now().getTime() - finished.at.getTime();
  if (maxAgeMs !== undefined && ageMs > maxAgeMs) {
    throw new DrillFailed(
      'too-old',
      `the latest base backup ${latest.name} finished ${formatDuration(ageMs)} ago (${finished.at.toISOString()}, from its ${finished.source}), older than --max-age ${formatDuration(maxAgeMs)}`,
      { hint: 'Base backups are not being taken: check the backup schedule of the service (wal-e backup-push) and its logs.' },
    );
  }
  return { finished, ageMs };
}

/** The PostgreSQL major version that wrote the archive (extended_version.txt, else its WAL's page magic: archive/inspect.ts). */
export function archiveMajor(report: ArchiveReport, latest: BaseBackupInfo): string {
  if (!report.pgVersion)
    throw new DrillFailed(
      'not-restorable',
      `${latest.name} has no readable extended_version.txt, and no first WAL segment whose page header names a PostgreSQL version, so its version is unknown`,
    );
  return report.pgVersion;
}
