/**
 * `archive inspect --window`: for every base backup, where it starts and ends in the WAL, whether every
 * segment from its start to the archive's end is archived (the holes named), and the first and last
 * moments a restore from it reaches: its end (its label's STOP TIME, read as a restore to a moment
 * reads it: backup-age.ts) and when the last segment its replay reaches was archived.
 */
import type { Redactor } from '../core/redact.js';
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { parseS3Url } from '../core/s3-url.js';
import { inspectArchive } from '../archive/inspect.js';
import type { ArchiveReport, BackupWindow } from '../wale/report.js';
import { formatLsn } from '../wale/segments.js';
import { backupEnd } from './backup-age.js';
import { backupStartLsn, backupStopLsn } from './target-backup.js';
import { endOfSecond } from './target-time.js';

export interface BackupReach extends BackupWindow {
  startLsn: string;
  stopLsn: string | null;
  /** The first moment a restore from it reaches (the end of the second it ended in), null when that cannot be known (`earliestSource` says why). */
  earliest: string | null;
  earliestSource: string;
  /** The last moment: the end of the second its last reachable segment was archived in. */
  latest: string | null;
}

/** The archive's report with every backup's reach. */
export async function inspectWindows(
  store: ObjectStore,
  url: string,
  processes: LocalProcesses,
  redactor: Redactor,
): Promise<ArchiveReport & { reach: BackupReach[] }> {
  const report = await inspectArchive(store, url, { window: true, redactor });
  const { bucket, prefix } = parseS3Url(url);
  const byName = new Map(report.baseBackups.map((b) => [b.name, b]));
  const reach = await Promise.all(
    (report.windows ?? []).map(async (w): Promise<BackupReach> => {
      const b = byName.get(w.backup)!;
      const stop = backupStopLsn(b);
      const end = w.restorable ? await backupEnd({ store, bucket, prefix, processes }, b) : null;
      return {
        ...w,
        startLsn: formatLsn(backupStartLsn(b)),
        stopLsn: stop === null ? null : formatLsn(stop),
        earliest: end?.at ? endOfSecond(end.at).toISOString() : null,
        earliestSource: !end ? 'not restorable' : end.at ? end.source : end.why,
        latest: w.reachesToAt ? endOfSecond(new Date(w.reachesToAt)).toISOString() : null,
      };
    }),
  );
  return { ...report, reach };
}
