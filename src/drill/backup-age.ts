/**
 * When a base backup finished. The `.backup` label wal-e archives records STOP TIME, in the
 * server's log_timezone (an abbreviation such as CET, read through this machine's tz database); it
 * survives `aws s3 sync`, which resets every object's LastModified (aws/aws-cli#2000), and so does
 * our own swap: the label is preferred over the sentinel's date, and a restore to a moment trusts
 * that date only where the archive shows no sign of a copy.
 */
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { labelTimes, numericZone, type LabelTime } from '../wale/backup-label.js';
import { backupLabelName } from '../wale/keys.js';
import { abbreviationOffsets } from '../systems/zoneinfo.js';
import { walObjectKey } from './wal-fetch.js';

export interface LatestBackupRef {
  startSegment: string;
  /** Byte offset in the start segment (written in decimal in the backup's name). */
  startOffset: number;
  /** The sentinel's LastModified; a complete backup always has one. */
  lastModified: string | Date | null;
  /** Key of the archived label, when the listing found it. */
  labelKey?: string | null;
  /** The segment the backup stopped in (its sentinel's), when known. */
  stopSegment?: string | null;
}

export interface FinishedAt {
  at: Date;
  source: 'backup label' | 'sentinel LastModified';
}

/** A backup whose end cannot be known, and why. */
export interface UnknownEnd {
  at: null;
  why: string;
}

/** Where the archive is, and the programs that decompress its label. */
export interface ArchiveAccess {
  store: ObjectStore;
  bucket: string;
  prefix: string;
  processes: LocalProcesses;
}

/** A sentinel is uploaded within this long of its backup's end: a reading of an ambiguous zone farther from it is not the one. */
const SENTINEL_AFTER_END_MS = 3600_000;

const fmtOffset = (s: number): string =>
  `${s < 0 ? '-' : '+'}${String(Math.floor(Math.abs(s) / 3600)).padStart(2, '0')}:${String(Math.floor((Math.abs(s) % 3600) / 60)).padStart(2, '0')}`;

/** The label's text, decompressed; null when the archive holds none or it does not read. */
async function readLabel(where: ArchiveAccess, ref: LatestBackupRef): Promise<string | null> {
  const { store, bucket, prefix, processes } = where;
  const key = ref.labelKey ?? walObjectKey(prefix, backupLabelName(ref.startSegment, ref.startOffset));
  try {
    const compressed = await store.get({ bucket, key });
    const r = key.endsWith('.lzo')
      ? await processes.run(['lzop', '-dc'], { stdin: compressed })
      : { code: 0, stdout: compressed.toString('utf8') };
    return r.code === 0 ? r.stdout : null;
  } catch {
    return null;
  }
}

/**
 * A label time as one moment: the clock time in its zone. An abbreviation is read as the offsets it
 * names in the IANA zones at that date; where it names several, the zones START TIME's abbreviation
 * also fits, then the sentinel's LastModified (`near`, when it can be trusted), may settle which.
 */
async function settle(t: LabelTime, other: LabelTime | null, near: (() => Promise<Date | null>) | null): Promise<Date | UnknownEnd> {
  const local = Date.parse(`${t.clock}Z`);
  if (Number.isNaN(local)) return { at: null, why: `its label's STOP TIME ${t.clock} is not a date and time` };
  const numeric = numericZone(t.zone);
  if (numeric !== null) return new Date(local - numeric * 1000);
  let meanings = await abbreviationOffsets(t.zone, local);
  if (meanings.length === 0) {
    return {
      at: null,
      why: `its label's STOP TIME ${t.clock.replace('T', ' ')} ${t.zone} is in a zone no time zone of this machine's tz database calls ${t.zone}`,
    };
  }
  if (meanings.length > 1 && other && other.zone !== t.zone) {
    const fits = new Set((await abbreviationOffsets(other.zone, Date.parse(`${other.clock}Z`))).flatMap((m) => m.zones));
    const both = meanings.filter((m) => m.zones.some((z) => fits.has(z)));
    if (both.length > 0) meanings = both;
  }
  if (meanings.length > 1 && near) {
    const sentinel = await near();
    const close = sentinel
      ? meanings.filter((m) => {
          const at = local - m.utoff * 1000;
          return at <= sentinel.getTime() + 999 && at >= sentinel.getTime() - SENTINEL_AFTER_END_MS;
        })
      : [];
    if (close.length === 1) meanings = close;
  }
  if (meanings.length > 1) {
    const readings = meanings.map((m) => `${fmtOffset(m.utoff)} in ${m.zones.slice(0, 2).join(', ')}${m.zones.length > 2 ? '…' : ''}`);
    return {
      at: null,
      why: `its label's STOP TIME ${t.clock.replace('T', ' ')} ${t.zone} names more than one moment (${t.zone} is ${readings.join('; ')}), and nothing else in the archive settles which`,
    };
  }
  return new Date(local - meanings[0]!.utoff * 1000);
}

/**
 * The sentinel's LastModified, unless the archive was copied: wal-e archives a backup's stop segment
 * before it writes the sentinel, so a sentinel older than that segment was copied after it (aws s3
 * sync copies basebackups_005/ before wal_005/), and its date is the copy's.
 */
async function sentinelDate(where: ArchiveAccess, ref: LatestBackupRef): Promise<FinishedAt | UnknownEnd> {
  const modified = ref.lastModified ? new Date(ref.lastModified) : null;
  if (!modified || Number.isNaN(modified.getTime())) return { at: null, why: 'it has no readable label and its sentinel no date' };
  const stop = ref.stopSegment
    ? await where.store.head({ bucket: where.bucket, key: walObjectKey(where.prefix, ref.stopSegment) }).catch(() => null)
    : null;
  if (stop && Math.floor(modified.getTime() / 1000) < Math.floor(stop.lastModified.getTime() / 1000)) {
    return {
      at: null,
      why: `it has no readable STOP TIME, and its sentinel's LastModified (${modified.toISOString()}) is older than that of its stop segment ${ref.stopSegment} (${stop.lastModified.toISOString()}), which wal-e archives first: the archive was copied, so LastModified is when the copy was made`,
    };
  }
  return { at: modified, source: 'sentinel LastModified' };
}

/** When a backup ended, to restore to a moment: its label's STOP TIME in any zone, else a sentinel date no copy made; else why it cannot be known. */
export async function backupEnd(where: ArchiveAccess, ref: LatestBackupRef): Promise<FinishedAt | UnknownEnd> {
  const label = await readLabel(where, ref);
  const { start, stop } = label === null ? { start: null, stop: null } : labelTimes(label);
  if (!stop) return sentinelDate(where, ref);
  const at = await settle(stop, start, async () => {
    const s = await sentinelDate(where, ref);
    return s.at;
  });
  return at instanceof Date ? { at, source: 'backup label' } : at;
}

/** When LATEST finished, for its age: its label's STOP TIME, else (not known from it) its sentinel's LastModified. */
export async function backupFinishedAt(where: ArchiveAccess, latest: LatestBackupRef): Promise<FinishedAt> {
  const label = await readLabel(where, latest);
  const { start, stop } = label === null ? { start: null, stop: null } : labelTimes(label);
  const at = stop ? await settle(stop, start, null) : null;
  if (at instanceof Date) return { at, source: 'backup label' };
  return { at: new Date(latest.lastModified ?? 0), source: 'sentinel LastModified' };
}
