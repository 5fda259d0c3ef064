/**
 * The base backup a drill restores, and when it finished: LATEST; or the one named, or the one a
 * stop needs (target-backup.ts); or, for a moment, the newest that ended before it (target-time.ts);
 * a copy left paused goes on from its own. The age limit holds only for a drill that replays
 * everything archived.
 */
import type { ArchiveReport, BaseBackupInfo } from '../wale/report.js';
import { checkAge } from './archive-checks.js';
import type { ArchiveAccess, FinishedAt } from './backup-age.js';
import type { RecoveryTarget } from './recovery-target.js';
import { backupForStop } from './target-backup.js';
import { backupEnds, chooseBackup } from './target-time.js';

/** What the drill was asked besides its target: a backup by name, the paused copy it goes on from, its clock, the age limit. */
interface BackupAsked {
  backup?: string;
  from?: { backup: string };
  now: () => Date;
  maxAgeMs?: number;
}

export async function drillBackup(
  where: ArchiveAccess,
  report: ArchiveReport,
  newest: BaseBackupInfo,
  target: RecoveryTarget | null,
  asked: BackupAsked,
): Promise<{ backup: BaseBackupInfo; age: { finished: FinishedAt; ageMs: number } }> {
  const time = target?.stop.kind === 'time' ? target.stop.time : null;
  const { from, now } = asked;
  const ends = time && asked.backup === undefined ? await backupEnds(where, report) : null;
  const forTime = time && ends ? chooseBackup(ends.known, report, time, ends.unknown) : null;
  // A paused copy goes on from its own base backup, which ended before its earlier target, so before this one.
  const chosen = (from && ends?.known.find((e) => e.backup.name === from.backup)) || forTime;
  const named = asked.backup ?? from?.backup;
  const backup =
    chosen?.backup ??
    (target && (target.stop.kind !== 'time' || named !== undefined) ? backupForStop(report, target.stop, newest, named) : newest);
  const age = chosen
    ? { finished: chosen.finished, ageMs: now().getTime() - chosen.finished.at.getTime() }
    : await checkAge(where, backup, now, target ? undefined : asked.maxAgeMs);
  return { backup, age };
}
