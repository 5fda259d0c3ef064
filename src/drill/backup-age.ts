/**
 * When the latest base backup finished. The `.backup` label wal-e archives
 * records STOP TIME; it survives `aws s3 sync`, which resets every object's
 * LastModified (aws/aws-cli#2000), so it is preferred over the sentinel's date.
 */
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { backupLabelName } from '../wale/keys.js';
import { walObjectKey } from './wal-fetch.js';

export interface LatestBackupRef {
  startSegment: string;
  /** Byte offset in the start segment (written in decimal in the backup's name). */
  startOffset: number;
  /** The sentinel's LastModified; a complete backup always has one. */
  lastModified: string | Date | null;
  /** Key of the archived label, when the listing found it. */
  labelKey?: string | null;
}

export interface FinishedAt {
  at: Date;
  source: 'backup label' | 'sentinel LastModified';
}

/** Where the archive is, and the programs that decompress its label. */
export interface ArchiveAccess {
  store: ObjectStore;
  bucket: string;
  prefix: string;
  processes: LocalProcesses;
}

/** STOP TIME from a backup label, when it is in UTC (PostgreSQL writes the server's log_timezone). */
export function parseLabelStopTime(label: string): Date | null {
  const m = /^STOP TIME: (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (UTC|GMT|[+-]\d\d(?::?\d\d)?)$/m.exec(label);
  if (!m) return null;
  const zone = m[3] === 'UTC' || m[3] === 'GMT' ? 'Z' : m[3]!.length === 3 ? `${m[3]}:00` : m[3]!.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  const d = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function backupFinishedAt(where: ArchiveAccess, latest: LatestBackupRef): Promise<FinishedAt> {
  const { store, bucket, prefix, processes } = where;
  const key = latest.labelKey ?? walObjectKey(prefix, backupLabelName(latest.startSegment, latest.startOffset));
  try {
    const compressed = await store.get({ bucket, key });
    const r = key.endsWith('.lzo')
      ? await processes.run(['lzop', '-dc'], { stdin: compressed })
      : { code: 0, stdout: compressed.toString('utf8') };
    const at = r.code === 0 ? parseLabelStopTime(r.stdout) : null;
    if (at) return { at, source: 'backup label' };
  } catch {
    // No readable label: fall back to the sentinel's date below.
  }
  return { at: new Date(latest.lastModified ?? 0), source: 'sentinel LastModified' };
}
