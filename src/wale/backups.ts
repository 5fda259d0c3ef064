/**
 * One base backup as wal-e sees it: its folder (extended_version.txt, tar
 * partitions), its sentinel, and the backup label PostgreSQL archived in WAL.
 */
import { someOf } from '../core/screen-lines.js';
import type { ObjectInfo } from '../core/seams.js';
import { parseBackupName } from './keys.js';
import type { BaseBackupInfo } from './report.js';
import type { Sentinel } from './sentinel.js';
import { compareSegments, parseSegment } from './segments.js';

export interface BackupDraft {
  name: string;
  extendedVersion?: ObjectInfo;
  sentinel?: ObjectInfo;
  parts: Map<number, ObjectInfo>;
}

/**
 * `sentinel` is the parsed sentinel, or why it could not be used.
 * `labels` maps "<segment>.<offset>" to the key of an archived backup label.
 */
export function describeBackup(
  d: BackupDraft,
  sentinel: Sentinel | string | undefined,
  labels: Map<string, string>,
): BaseBackupInfo | null {
  const parsed = parseBackupName(d.name);
  if (!parsed) return null;
  const issues: string[] = [];
  const ok = typeof sentinel === 'object' ? sentinel : null;
  if (!d.sentinel) issues.push('it has no backup_stop_sentinel.json (the upload never finished)');
  else if (typeof sentinel === 'string') issues.push(sentinel);
  const indexes = [...d.parts.keys()].sort((a, b) => a - b);
  if (indexes.length === 0) issues.push('it has no tar partitions');
  else {
    const missing: number[] = [];
    for (let i = 0, j = 0; i <= indexes.at(-1)!; i++) {
      if (indexes[j] === i) j++;
      else missing.push(i);
    }
    if (missing.length > 0) {
      issues.push(`tar partition(s) ${someOf(missing.map((i) => `part_${String(i).padStart(8, '0')}`))} are missing`);
    }
  }
  if (ok && compareSegments(parseSegment(ok.walSegmentBackupStop), parseSegment(parsed.startSegment)) < 0) {
    issues.push(`its sentinel says it stopped at ${ok.walSegmentBackupStop}, before it started`);
  }
  return {
    name: d.name,
    startSegment: parsed.startSegment,
    startOffset: parsed.startOffset,
    lastModified: d.sentinel ? d.sentinel.lastModified.toISOString() : null,
    stopSegment: ok?.walSegmentBackupStop ?? null,
    stopOffset: ok?.walSegmentOffsetBackupStop ?? null,
    expandedSizeBytes: ok?.expandedSizeBytes ?? null,
    partitions: indexes.map((i) => d.parts.get(i)!.key),
    sentinelKey: d.sentinel?.key ?? null,
    extendedVersionKey: d.extendedVersion?.key ?? null,
    labelKey: labels.get(`${parsed.startSegment}.${parsed.startOffset}`) ?? null,
    complete: issues.length === 0,
    issues,
  };
}
