/** Which base backup `wal-e backup-fetch LATEST` restores, and the others wal-e ignores or finds incomplete. */
import type { BaseBackupInfo } from '../wale/report.js';
import { compareSegments, parseSegment } from '../wale/segments.js';
import type { Findings } from './inspect-layout.js';

/** wal-e backup-fetch LATEST: the newest sentinel LastModified; a stable sort in key order breaks ties. */
export function chooseLatest(infos: BaseBackupInfo[]): { latest: BaseBackupInfo | null; latestBySegment: BaseBackupInfo | null } {
  const listed = infos.filter((b) => b.sentinelKey !== null);
  const latest = listed.reduce<BaseBackupInfo | null>(
    (best, b) =>
      best === null || b.lastModified! > best.lastModified! || (b.lastModified === best.lastModified && b.name > best.name) ? b : best,
    null,
  );
  return { latest, latestBySegment: listed.at(-1) ?? null };
}

/** Backups wal-e ignores (no sentinel) or that are incomplete, LATEST aside. */
export function backupWarnings(infos: BaseBackupInfo[], latest: BaseBackupInfo | null, found: Findings): void {
  for (const b of infos) {
    if (b.sentinelKey === null) {
      const newer = latest && compareSegments(parseSegment(b.startSegment), parseSegment(latest.startSegment)) > 0;
      found.warnings.push(
        `${b.name} has no backup_stop_sentinel.json, so wal-e ignores it${newer ? ' (it is newer than LATEST: an upload that was interrupted or is still running)' : ''}.`,
      );
    } else if (b !== latest && !b.complete) {
      found.warnings.push(`${b.name} is incomplete: ${b.issues.join('; ')}.`);
    }
  }
}
