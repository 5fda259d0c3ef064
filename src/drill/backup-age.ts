/**
 * When the latest base backup finished. The `.backup` label wal-e archives
 * records STOP TIME; it survives `aws s3 sync`, which resets every object's
 * LastModified (aws/aws-cli#2000), so it is preferred over the sentinel's date.
 */
import type { ObjectStore } from '../core/seams.js';
import { run } from '../systems/processes.js';
import { walObjectKey } from './wal-fetch.js';

export interface LatestBackupRef {
  startSegment: string;
  /** Byte offset in the start segment (written in decimal in the backup's name). */
  startOffset: number | string;
  /** The sentinel's LastModified; a complete backup always has one. */
  lastModified: string | Date | null;
  /** Key of the archived label, when the listing found it. */
  labelKey?: string | null;
}

export interface FinishedAt {
  at: Date;
  source: 'backup label' | 'sentinel LastModified';
}

/** The label's name: `<start segment>.<offset as 8 hex digits>.backup`. */
export function backupLabelName(startSegment: string, startOffset: number | string): string {
  return `${startSegment}.${Number(startOffset).toString(16).toUpperCase().padStart(8, '0')}.backup`;
}

/** STOP TIME from a backup label, when it is in UTC (PostgreSQL writes the server's log_timezone). */
export function parseLabelStopTime(label: string): Date | null {
  const m = /^STOP TIME: (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (UTC|GMT|[+-]\d\d(?::?\d\d)?)$/m.exec(label);
  if (!m) return null;
  const zone = m[3] === 'UTC' || m[3] === 'GMT' ? 'Z' : m[3]!.length === 3 ? `${m[3]}:00` : m[3]!.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  const d = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function backupFinishedAt(store: ObjectStore, bucket: string, prefix: string, latest: LatestBackupRef): Promise<FinishedAt> {
  const key = latest.labelKey ?? walObjectKey(prefix, backupLabelName(latest.startSegment, latest.startOffset));
  try {
    const compressed = await store.get({ bucket, key });
    const r = key.endsWith('.lzo') ? await run(['lzop', '-dc'], { stdin: compressed }) : { code: 0, stdout: compressed.toString('utf8') };
    const at = r.code === 0 ? parseLabelStopTime(r.stdout) : null;
    if (at) return { at, source: 'backup label' };
  } catch {
    // No readable label: fall back to the sentinel's date below.
  }
  return { at: new Date(latest.lastModified ?? 0), source: 'sentinel LastModified' };
}
