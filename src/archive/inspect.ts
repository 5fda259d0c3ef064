/**
 * Inspects a wal-e archive: what `wal-e backup-fetch LATEST` would restore and
 * how far WAL replay would carry it. `inspectListing` is pure (it reads only
 * through `read`); `inspectListed` calls it on an archive already listed, reading its bodies from an
 * ObjectStore; `inspectArchive` lists the archive first.
 */
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import type { Redactor } from '../core/redact.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import { parseHistory, type HistoryEntry } from '../wale/history.js';
import { describeBackup } from '../wale/backups.js';
import { isLzop, lzopDecompress } from '../wale/lzop.js';
import { isOpenPgpMessage } from '../wale/encryption.js';
import type { ArchiveReport, BackupWindow, BaseBackupInfo } from '../wale/report.js';
import { parseSentinel, type Sentinel } from '../wale/sentinel.js';
import { compareSegments, parseSegment } from '../wale/segments.js';
import { parsePgVersion } from '../wale/version.js';
import { majorOfPageMagic } from '../wale/page-magic.js';
import { readLongPageHeader } from '../wale/partial-segment.js';
import { archiveFingerprint } from './fingerprint.js';
import { layoutFindings, sortKeys, type Findings, type SortedKeys } from './inspect-layout.js';
import { backupWindows, replayFromLatest, type Replay } from './inspect-replay.js';
import { backupWarnings, chooseLatest } from './latest-backup.js';
import { walInventory, type WalInventory } from './wal-inventory.js';
import { listArchiveObjects, type ListOptions } from './parallel-listing.js';
import { Gate } from '../core/concurrency.js';
import { checkPartials, lastMoment, type ReadBody } from './partials.js';

export type { ArchiveReport } from '../wale/report.js';

export interface InspectInput {
  bucket: string;
  /** The archive prefix, ending in "/" (or '' for the bucket root). */
  prefix: string;
  objects: ObjectInfo[];
  /** Body of an object under the prefix (sentinels, sysid, extended_version.txt, history files). */
  read(key: string): Promise<Buffer>;
  /** Prefixes next to this one (e.g. other instances' archives), named when this one is empty. */
  siblings?: string[];
  /** Reads running at once. */
  concurrency?: number;
  /** Also walk the WAL from every base backup (`windows`), not only from LATEST. */
  window?: boolean;
  /** The run's redactor, for the read errors reported. */
  redactor: Redactor;
}

export interface InspectOptions extends ListOptions {
  siblings?: string[];
  window?: boolean;
  redactor: Redactor;
}

export async function inspectArchive(store: ObjectStore, url: string, opts: InspectOptions): Promise<ArchiveReport> {
  const { bucket, prefix } = parseS3Url(url);
  return inspectListed(store, { bucket, prefix }, await listArchiveObjects(store, bucket, prefix, opts), opts);
}

/** The archive at `bucket`/`prefix`, already listed (`objects`), inspected: its bodies read from `store`. */
export function inspectListed(
  store: ObjectStore,
  { bucket, prefix }: { bucket: string; prefix: string },
  objects: ObjectInfo[],
  opts: Pick<InspectInput, 'siblings' | 'concurrency' | 'window' | 'redactor'>,
): Promise<ArchiveReport> {
  return inspectListing({
    bucket,
    prefix,
    objects,
    read: (key) => store.get({ bucket, key }),
    siblings: opts.siblings,
    concurrency: opts.concurrency,
    window: opts.window,
    redactor: opts.redactor,
  });
}

/** The body as stored. */
function rawReader(input: InspectInput): ReadBody {
  const gate = new Gate(Math.max(1, input.concurrency ?? 8));
  return async (key) => {
    try {
      return { body: await gate.run(() => input.read(key)) };
    } catch (err) {
      return { error: input.redactor.redact(err instanceof Error ? err.message : String(err)) };
    }
  };
}

/** A small object's body, lzop-decompressed when it is lzop; one GPG encrypted is said to be so, not read on. */
function textReader(input: InspectInput, readRaw: ReadBody): ReadBody {
  return async (key) => {
    const r = await readRaw(key);
    if ('error' in r) return r;
    if (isOpenPgpMessage(r.body))
      return {
        error: `s3://${input.bucket}/${key} is encrypted with GPG (wal-e's WALE_GPG_KEY_ID), which inspect does not decrypt: \`dingo-recover drill\` reads it with this machine's gpg and keyring`,
      };
    try {
      return { body: isLzop(r.body) ? lzopDecompress(r.body, `s3://${input.bucket}/${key}`) : r.body };
    } catch (err) {
      return { error: input.redactor.redact(err instanceof Error ? err.message : String(err)) };
    }
  };
}

/** Every backup with its sentinel read: wal-e lists backups by their sentinels. */
async function describeBackups(bucket: string, keys: SortedKeys, readText: ReadBody): Promise<BaseBackupInfo[]> {
  const sentinels = new Map<string, Sentinel | string>();
  await Promise.all(
    [...keys.backups.values()]
      .filter((d) => d.sentinel)
      .map(async (d) => {
        const r = await readText(d.sentinel!.key);
        if ('error' in r) sentinels.set(d.name, `its sentinel cannot be read (${r.error})`);
        else {
          try {
            sentinels.set(d.name, parseSentinel(r.body, `s3://${bucket}/${d.sentinel!.key}`));
          } catch (err) {
            sentinels.set(d.name, `its sentinel is unusable: ${(err as Error).message}`);
          }
        }
      }),
  );
  const infos = [...keys.backups.values()].map((d) => describeBackup(d, sentinels.get(d.name), keys.labels)).filter((b) => b !== null);
  infos.sort((a, b) => compareSegments(parseSegment(a.startSegment), parseSegment(b.startSegment)) || a.startOffset - b.startOffset);
  return infos;
}

/**
 * The PostgreSQL version: LATEST's extended_version.txt, else the newest other one; without any, the
 * page magic of LATEST's first WAL segment (then said in a warning, with the segment it came from).
 */
async function readPgVersion(
  latest: BaseBackupInfo | null,
  infos: BaseBackupInfo[],
  segments: Map<string, ObjectInfo>,
  readText: ReadBody,
  found: Findings,
): Promise<string | null> {
  const sources = [latest, ...[...infos].reverse()].filter((b): b is BaseBackupInfo => !!b?.extendedVersionKey);
  for (const b of sources.filter((b, i, all) => all.indexOf(b) === i).slice(0, 3)) {
    const r = await readText(b.extendedVersionKey!);
    const version = 'body' in r ? parsePgVersion(r.body) : null;
    if (version) return version;
  }
  const first = latest ? segments.get(latest.startSegment) : undefined;
  if (!first) return null;
  const r = await readText(first.key);
  const header = 'body' in r ? readLongPageHeader(r.body) : null;
  const version = header && 'magic' in header ? majorOfPageMagic(header.magic) : null;
  if (version)
    found.warnings.push(
      `${latest!.name} has no readable extended_version.txt; its first WAL segment, ${latest!.startSegment}, was written by PostgreSQL ${version} (the magic of its page header).`,
    );
  return version;
}

/** The database system identifier the container copies into etcd. */
async function readSysid(url: string, read: ReturnType<ReadBody> | null, found: Findings): Promise<string | null> {
  if (!read) return null;
  const r = await read;
  if ('error' in r) {
    found.problems.push(
      `sysids/sysid cannot be read (${r.error}); the container needs it to set /initialize in etcd. Check read access to ${url}sysids/sysid.`,
    );
    return null;
  }
  const sysid = r.body.toString('utf8').trim();
  if (!/^\d+$/.test(sysid)) found.warnings.push(`sysids/sysid holds "${sysid.slice(0, 40)}", not a numeric database system identifier.`);
  return sysid;
}

const NO_REPLAY: Replay = { restorable: false, restorableTo: null, restorableToAt: null, targetTimeline: null, gaps: [], lost: null };

/** Inspects a listing: sorts the keys, reads what wal-e reads, and walks the WAL from LATEST. Pure but for `read`. */
export async function inspectListing(input: InspectInput): Promise<ArchiveReport> {
  const { bucket, prefix } = input;
  const url = formatS3Url(bucket, prefix);
  const found: Findings = { problems: [], warnings: [] };
  const readRaw = rawReader(input);
  const readText = textReader(input, readRaw);
  const keys = sortKeys(prefix, input.objects);
  const sysidRead = keys.sysidObject ? readText(keys.sysidObject.key) : null;
  const infos = await describeBackups(bucket, keys, readText);
  const { latest, latestBySegment } = chooseLatest(infos);
  const pgVersion = await readPgVersion(latest, infos, keys.segments, readText, found);
  const sysid = await readSysid(url, sysidRead, found);
  const wal = walInventory(keys.segments, keys.histories, pgVersion, found);
  layoutFindings(bucket, prefix, keys, input.siblings ?? [], found);
  backupWarnings(infos, latest, found);
  let replay = NO_REPLAY;
  let windows: BackupWindow[] | undefined;
  if (latest === null) {
    if (keys.objects.length > 0 && keys.layout !== 'wal-g') found.problems.push(noLatestProblem(url, infos));
  } else {
    const readHistory = async (key: string): Promise<HistoryEntry[]> => {
      const r = await readText(key);
      if ('error' in r) throw new Error(r.error);
      return parseHistory(r.body, `s3://${bucket}/${key}`);
    };
    const { segments, histories } = keys;
    replay = await replayFromLatest({ latest, latestBySegment, pgVersion, wal, segments, histories, readHistory }, found);
    if (input.window) windows = await backupWindows(infos, { pgVersion, wal, segments, histories, readHistory });
  }
  if (!pgVersion && latest)
    found.warnings.push(
      `The PostgreSQL version is unknown (no readable extended_version.txt, nor a first WAL segment of LATEST whose page header names one); WAL was checked as for 9.3 or later.`,
    );
  const partials = await checkPartials({ bucket, prefix, keys, wal, pgVersion, sysid, readRaw, readText }, found);
  return {
    ...report({ url, keys, infos, latest, latestBySegment, pgVersion, sysid, wal, replay, found }),
    partials,
    lastMoment: lastMoment(prefix, keys, wal, partials),
    ...(windows && { windows }),
  };
}

function noLatestProblem(url: string, infos: BaseBackupInfo[]): string {
  return infos.length > 0
    ? `No base backup has a backup_stop_sentinel.json, so wal-e backup-fetch LATEST finds nothing to restore (base folders: ${infos.map((b) => b.name).join(', ')}). Look for an older archive copy that has one.`
    : `${url} holds no base backup (basebackups_005/ is empty): WAL alone cannot be restored. Check the prefix, or whether retention removed the backups.`;
}

interface Inspected {
  url: string;
  keys: SortedKeys;
  infos: BaseBackupInfo[];
  latest: BaseBackupInfo | null;
  latestBySegment: BaseBackupInfo | null;
  pgVersion: string | null;
  sysid: string | null;
  wal: WalInventory;
  replay: Replay;
  found: Findings;
}

function report(i: Inspected): Omit<ArchiveReport, 'partials' | 'lastMoment'> {
  const { keys, wal, replay } = i;
  const lastObj = wal.last ? keys.segments.get(wal.last.name) : undefined;
  return {
    prefix: i.url,
    layout: keys.layout,
    pgVersion: i.pgVersion,
    sysid: i.sysid,
    latest: i.latest,
    latestBySegment: i.latestBySegment,
    baseBackups: i.infos,
    firstSegment: wal.first?.name ?? null,
    lastSegment: wal.last?.name ?? null,
    lastSegmentAt: lastObj ? lastObj.lastModified.toISOString() : null,
    timelines: [...wal.timelines].sort((a, b) => a - b),
    targetTimeline: replay.targetTimeline,
    gaps: replay.gaps,
    restorable: replay.restorable,
    restorableTo: replay.restorableTo,
    restorableToAt: replay.restorableToAt,
    complete: replay.restorable && replay.lost === null,
    lost: replay.restorable ? replay.lost : null,
    problems: i.found.problems,
    warnings: i.found.warnings,
    objects: keys.objects.length,
    bytes: keys.bytes,
    walSegments: keys.segments.size,
    unknownKeys: keys.unknown.slice(0, 20),
    fingerprint: archiveFingerprint(keys.objects),
  };
}
