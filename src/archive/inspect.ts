/**
 * Inspects a wal-e archive: what `wal-e backup-fetch LATEST` would restore and
 * how far WAL replay would carry it. `inspectListing` is pure (it reads only
 * through `read`); `inspectArchive` lists an ObjectStore and calls it.
 */
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { secrets } from '../core/redact.js';
import { parseHistory, type HistoryEntry } from '../wale/history.js';
import { describeBackup, type BackupDraft } from '../wale/backups.js';
import { backupLabelName, classifyKey } from '../wale/keys.js';
import { listArchiveObjects, type ListOptions } from './parallel-listing.js';
import { archiveFingerprint } from './fingerprint.js';
import { isLzop, lzopDecompress } from '../wale/lzop.js';
import type { ArchiveLayout, ArchiveReport, BaseBackupInfo, LostWal, WalGap } from '../wale/report.js';
import { parseSentinel, type Sentinel } from '../wale/sentinel.js';
import {
  compareSegments,
  formatTimeline,
  parseSegment,
  segmentIndex,
  skipsSegmentFF,
  tryParseSegment,
  type Segment,
} from '../wale/segments.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import { parsePgVersion } from '../wale/version.js';
import { ownerOf, spansFromHistory, spansFromSegments, walkChain, type TimelineSpan } from '../wale/chain.js';

export type { ArchiveReport, BaseBackupInfo, LostWal, WalGap } from '../wale/report.js';

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
}

export interface InspectOptions extends ListOptions {
  siblings?: string[];
}

export async function inspectArchive(store: ObjectStore, url: string, opts: InspectOptions = {}): Promise<ArchiveReport> {
  const { bucket, prefix } = parseS3Url(url);
  const objects = await listArchiveObjects(store, bucket, prefix, opts);
  return inspectListing({
    bucket,
    prefix,
    objects,
    read: (key) => store.get({ bucket, key }),
    siblings: opts.siblings,
    concurrency: opts.concurrency,
  });
}

const EXAMPLES = 5;

export async function inspectListing(input: InspectInput): Promise<ArchiveReport> {
  const { bucket, prefix } = input;
  const url = formatS3Url(bucket, prefix);
  const problems: string[] = [];
  const warnings: string[] = [];
  const limit = pool(Math.max(1, input.concurrency ?? 8));

  const byKey = new Map<string, ObjectInfo>();
  for (const o of input.objects) byKey.set(o.key, o);
  const objects = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let bytes = 0;
  for (const o of objects) bytes += o.size;

  // Sort every key into its place in the layout.
  const backups = new Map<string, BackupDraft>();
  const draft = (name: string): BackupDraft => {
    let d = backups.get(name);
    if (!d) backups.set(name, (d = { name, parts: new Map() }));
    return d;
  };
  const segments = new Map<string, ObjectInfo>();
  const labels = new Map<string, string>();
  const histories = new Map<number, ObjectInfo>();
  const walg: string[] = [];
  const unknown: string[] = [];
  let sysidObject: ObjectInfo | null = null;
  let waleKeys = 0;
  for (const o of objects) {
    const rel = o.key.startsWith(prefix) ? o.key.slice(prefix.length) : null;
    const c = rel === null ? ({ kind: 'unknown' } as const) : classifyKey(rel);
    switch (c.kind) {
      case 'extended-version':
        draft(c.backup).extendedVersion = o;
        waleKeys++;
        break;
      case 'tar-partition':
        draft(c.backup).parts.set(c.index, o);
        waleKeys++;
        break;
      case 'sentinel':
        draft(c.backup).sentinel = o;
        waleKeys++;
        break;
      case 'wal-segment':
        if (!segments.has(c.segment) || c.compressed) segments.set(c.segment, o);
        waleKeys++;
        break;
      case 'backup-label':
        labels.set(`${c.segment}.${c.offset}`, o.key);
        waleKeys++;
        break;
      case 'history':
        if (!histories.has(c.timeline) || c.compressed) histories.set(c.timeline, o);
        break;
      case 'sysid':
        sysidObject = o;
        break;
      case 'walg-backup-file':
      case 'walg-sentinel':
      case 'walg-wal':
        walg.push(o.key);
        break;
      case 'unknown':
        unknown.push(o.key);
        break;
      case 'wal-partial':
      case 'directory':
        break;
    }
  }
  const layout: ArchiveLayout =
    objects.length === 0 ? 'empty' : waleKeys > 0 ? (walg.length > 0 ? 'mixed' : 'wal-e') : walg.length > 0 ? 'wal-g' : 'unknown';

  const readText = async (key: string): Promise<{ body: Buffer } | { error: string }> => {
    try {
      const raw = await limit(() => input.read(key));
      return { body: isLzop(raw) ? lzopDecompress(raw, `s3://${bucket}/${key}`) : raw };
    } catch (err) {
      return { error: secrets.redact(err instanceof Error ? err.message : String(err)) };
    }
  };

  // Sentinels (wal-e reads them to list backups), sysid.
  const sentinels = new Map<string, Sentinel | string>();
  const sysidRead = sysidObject ? readText(sysidObject.key) : null;
  await Promise.all(
    [...backups.values()]
      .filter((d) => d.sentinel)
      .map(async (d) => {
        const r = await readText(d.sentinel!.key);
        if ('error' in r) sentinels.set(d.name, `its sentinel cannot be read (${r.error})`);
        else {
          try {
            sentinels.set(d.name, parseSentinel(r.body, `s3://${bucket}/${d.sentinel!.key}`));
          } catch (err) {
            sentinels.set(d.name, `its sentinel is unusable: ${secrets.redact((err as Error).message)}`);
          }
        }
      }),
  );

  const infos = [...backups.values()].map((d) => describeBackup(d, sentinels.get(d.name), labels)).filter((b) => b !== null);
  infos.sort((a, b) => compareSegments(parseSegment(a.startSegment), parseSegment(b.startSegment)) || a.startOffset - b.startOffset);
  const listed = infos.filter((b) => b.sentinelKey !== null);
  // wal-e backup-fetch LATEST: newest sentinel LastModified; a stable sort in key order breaks ties.
  const latest = listed.reduce<BaseBackupInfo | null>(
    (best, b) =>
      best === null || b.lastModified! > best.lastModified! || (b.lastModified === best.lastModified && b.name > best.name) ? b : best,
    null,
  );
  const latestBySegment = listed.at(-1) ?? null;

  // PostgreSQL version: LATEST's extended_version.txt, else the newest other one.
  let pgVersion: string | null = null;
  const versionSources = [latest, ...[...infos].reverse()].filter((b): b is BaseBackupInfo => !!b?.extendedVersionKey);
  for (const b of versionSources.filter((b, i, all) => all.indexOf(b) === i).slice(0, 3)) {
    const r = await readText(b.extendedVersionKey!);
    if ('body' in r) pgVersion = parsePgVersion(r.body);
    if (pgVersion) break;
  }

  let sysid: string | null = null;
  if (sysidRead) {
    const r = await sysidRead;
    if ('error' in r)
      problems.push(
        `sysids/sysid cannot be read (${r.error}); the container needs it to set /initialize in etcd. Check read access to ${url}sysids/sysid.`,
      );
    else {
      sysid = r.body.toString('utf8').trim();
      if (!/^\d+$/.test(sysid)) warnings.push(`sysids/sysid holds "${sysid.slice(0, 40)}", not a numeric database system identifier.`);
    }
  }

  // WAL segments.
  const ffSkip = skipsSegmentFF(pgVersion);
  const present = new Map<number, number[]>();
  const timelines = new Set<number>(histories.keys());
  let first: { name: string; s: Segment } | null = null;
  let last: { name: string; s: Segment } | null = null;
  let ignoredFF = 0;
  for (const name of segments.keys()) {
    const s = tryParseSegment(name)!;
    if (ffSkip && s.seg === 0xff) {
      ignoredFF++;
      continue;
    }
    timelines.add(s.tli);
    let list = present.get(s.tli);
    if (!list) present.set(s.tli, (list = []));
    list.push(segmentIndex(s, pgVersion));
    if (first === null || compareSegments(s, first.s) < 0) first = { name, s };
    if (last === null || compareSegments(s, last.s) > 0) last = { name, s };
  }
  for (const list of present.values()) list.sort((a, b) => a - b);
  if (ignoredFF > 0) {
    warnings.push(`${ignoredFF} segment(s) end in FF, which PostgreSQL ${pgVersion} never writes; they were left out of the WAL check.`);
  }

  // Layout-level findings.
  if (objects.length === 0) {
    problems.push(emptyProblem(url, input.siblings ?? []));
  } else {
    const nested = nestedArchives(prefix, unknown);
    if (nested.length > 0 && waleKeys === 0) {
      problems.push(
        `No wal-e archive sits directly under ${url}, but one seems to be at ${nested.map((p) => formatS3Url(bucket, p)).join(', ')}. Use that prefix (it ends in /wal/ for Dingo).`,
      );
    }
    if (/(^|\/)(wal_005|basebackups_005|sysids)\/$/.test(prefix)) {
      const parent = prefix.replace(/[^/]+\/$/, '');
      problems.push(`${url} is a folder inside a wal-e archive; the archive prefix is ${formatS3Url(bucket, parent)}.`);
    }
  }
  if (layout === 'wal-g') {
    problems.push(
      `${url} holds a wal-g archive (e.g. ${walg[0]!.slice(prefix.length)}): Dingo containers restore with wal-e 0.9, which cannot read it. Restore it with wal-g, or find the instance's wal-e archive.`,
    );
  } else if (layout === 'mixed') {
    warnings.push(
      `${walg.length} key(s) look like wal-g's (e.g. ${walg[0]!.slice(prefix.length)}); wal-e ignores them. Were two tools writing to ${url}?`,
    );
  }
  if (unknown.length > 0) {
    warnings.push(
      `${unknown.length} key(s) match no wal-e name and are ignored: ${unknown
        .slice(0, EXAMPLES)
        .map((k) => k.slice(prefix.length) || k)
        .join(', ')}${unknown.length > EXAMPLES ? ', …' : ''}.`,
    );
  }
  if ((layout === 'wal-e' || layout === 'mixed') && !sysidObject) {
    problems.push(
      `sysids/sysid is missing: on start the container copies it into etcd's /initialize. Without it, write the database system identifier of the restored backup (pg_controldata) to ${url}sysids/sysid.`,
    );
  }

  for (const b of infos) {
    if (b.sentinelKey === null) {
      const newer = latest && compareSegments(parseSegment(b.startSegment), parseSegment(latest.startSegment)) > 0;
      warnings.push(
        `${b.name} has no backup_stop_sentinel.json, so wal-e ignores it${newer ? ' (it is newer than LATEST: an upload that was interrupted or is still running)' : ''}.`,
      );
    } else if (b !== latest && !b.complete) {
      warnings.push(`${b.name} is incomplete: ${b.issues.join('; ')}.`);
    }
  }

  // LATEST and the WAL chain from it.
  let restorable = false;
  let restorableTo: string | null = null;
  let restorableToAt: string | null = null;
  let targetTimeline: number | null = null;
  let gaps: WalGap[] = [];
  let lost: LostWal | null = null;
  if (latest === null) {
    if (objects.length > 0 && layout !== 'wal-g') {
      problems.push(
        infos.length > 0
          ? `No base backup has a backup_stop_sentinel.json, so wal-e backup-fetch LATEST finds nothing to restore (base folders: ${infos.map((b) => b.name).join(', ')}). Look for an older archive copy that has one.`
          : `${url} holds no base backup (basebackups_005/ is empty): WAL alone cannot be restored. Check the prefix, or whether retention removed the backups.`,
      );
    }
  } else {
    if (latestBySegment && latestBySegment !== latest) {
      warnings.push(
        `wal-e restores LATEST by sentinel LastModified: ${latest.name} (${latest.lastModified}), but the newest backup by WAL position is ${latestBySegment.name} (${latestBySegment.lastModified}). ` +
          `Copies reset LastModified (aws/aws-cli#2000), so an "aws s3 sync" can cause this. Replay still runs on through all archived WAL, so nothing is lost if the WAL below is complete; it only takes longer.`,
      );
    }
    const blockers: string[] = [];
    if (!latest.complete) blockers.push(...latest.issues);
    if (!latest.labelKey) {
      blockers.push(
        `the backup label wal_005/${backupLabelName(latest.startSegment, latest.startOffset)}.lzo is missing (the archive copy looks incomplete)`,
      );
    }
    const start = parseSegment(latest.startSegment);
    if (latest.stopSegment) {
      const stop = parseSegment(latest.stopSegment);
      const plan = await replayTimelines(start.tli, histories, async (key) => {
        const r = await readText(key);
        if ('error' in r) throw new Error(r.error);
        return parseHistory(r.body, `s3://${bucket}/${key}`);
      });
      targetTimeline = plan.target;
      let spans: TimelineSpan[];
      if (plan.history) spans = spansFromHistory(plan.target, plan.history, pgVersion);
      else {
        const tls = [...new Set([start.tli, ...timelines])].filter((t) => t >= start.tli && t <= plan.target).sort((a, b) => a - b);
        const firstIndex = new Map([...present].map(([t, l]) => [t, l[0]!] as const));
        spans = spansFromSegments(tls, firstIndex);
        warnings.push(
          `${formatTimeline(plan.target)}.history could not be used (${plan.historyError}); timeline switches were inferred from the first segment of each timeline.`,
        );
      }
      const beyond = [...timelines].find((t) => t > plan.target);
      if (beyond !== undefined) {
        warnings.push(
          `WAL exists on timeline ${beyond}, but recovery stops at timeline ${plan.target} because ${formatTimeline(plan.target + 1)}.history is missing; writes made on timeline ${beyond} would not be restored.`,
        );
      }
      if (ownerOf(spans, segmentIndex(start, pgVersion)) !== start.tli) {
        blockers.push(
          `it was taken on timeline ${start.tli} at ${latest.startSegment}, which is not on the history of timeline ${plan.target}; PostgreSQL refuses to follow timeline ${plan.target} from it`,
        );
      } else {
        const chain = walkChain(spans, present, start, stop, pgVersion);
        gaps = chain.gaps.map(({ from, to, count }) => ({ from, to, count }));
        const stopIdx = segmentIndex(stop, pgVersion);
        const early = chain.gaps.filter((g) => g.fromIndex <= stopIdx);
        if (early.length > 0) {
          const g = early[0]!;
          blockers.push(
            `WAL ${range(g)} is missing, and replay needs every segment up to ${latest.stopSegment} to make the backup consistent`,
          );
        }
        // A gap after the stop segment does not stop the restore: the database
        // comes up consistent, but replay ends at the gap, so restorable stays
        // true with restorableTo at the last contiguous segment and a problem
        // saying what is lost.
        const late = chain.gaps.filter((g) => g.fromIndex > stopIdx);
        if (late.length > 0 && early.length === 0) {
          lost = { from: late[0]!.from, to: chain.end };
          problems.push(
            `WAL ${range(late[0]!)} is missing: replay stops at ${chain.lastContiguous}, and data written after it would be lost` +
              (late.length > 1 ? ` (${late.length} gaps in all, up to ${chain.end})` : ` (archived WAL goes on to ${chain.end})`) +
              '. Look for the missing segments in another copy of the archive before restoring.',
          );
        }
        if (chain.offChain > 0) {
          warnings.push(
            `${chain.offChain} segment(s) were archived on a parent timeline after a later timeline branched off; replay does not read them.`,
          );
        }
        if (blockers.length === 0) {
          restorableTo = chain.lastContiguous;
          const seg = restorableTo ? segments.get(restorableTo) : undefined;
          restorableToAt = seg ? seg.lastModified.toISOString() : null;
        }
      }
    }
    if (blockers.length > 0) {
      problems.unshift(`LATEST (${latest.name}) cannot be restored: ${blockers.join('; ')}.`);
    } else {
      restorable = true;
    }
  }
  if (!pgVersion && latest)
    warnings.push(`The PostgreSQL version is unknown (no readable extended_version.txt); WAL was checked as for 9.3 or later.`);

  const lastObj = last ? segments.get(last.name) : undefined;
  return {
    prefix: url,
    layout,
    pgVersion,
    sysid,
    latest,
    latestBySegment,
    baseBackups: infos,
    firstSegment: first?.name ?? null,
    lastSegment: last?.name ?? null,
    lastSegmentAt: lastObj ? lastObj.lastModified.toISOString() : null,
    timelines: [...timelines].sort((a, b) => a - b),
    targetTimeline,
    gaps,
    restorable,
    restorableTo,
    restorableToAt,
    complete: restorable && lost === null,
    lost: restorable ? lost : null,
    problems,
    warnings,
    objects: objects.length,
    bytes,
    walSegments: segments.size,
    unknownKeys: unknown.slice(0, 20),
    fingerprint: archiveFingerprint(objects),
  };
}

/**
 * recovery_target_timeline = 'latest' ends on the newest timeline reachable
 * through consecutive history files; that timeline's history lists its ancestors.
 */
async function replayTimelines(
  start: number,
  histories: Map<number, ObjectInfo>,
  readHistory: (key: string) => Promise<HistoryEntry[]>,
): Promise<{ target: number; history: HistoryEntry[] | null; historyError: string }> {
  let target = start;
  while (histories.has(target + 1)) target++;
  if (target === start) return { target, history: [], historyError: '' };
  try {
    return { target, history: await readHistory(histories.get(target)!.key), historyError: '' };
  } catch (err) {
    return { target, history: null, historyError: secrets.redact(err instanceof Error ? err.message : String(err)) };
  }
}

function range(g: WalGap): string {
  return g.count === 1 ? g.from : `from ${g.from} to ${g.to} (${g.count} segments)`;
}

function emptyProblem(url: string, siblings: string[]): string {
  let text = `Nothing is stored under ${url}. Check the prefix: Dingo archives are s3://BUCKET/backups/<instance GUID>/wal/, as in the "DETAIL: Uploading … to" log lines of the old instance.`;
  if (siblings.length > 0) {
    text += ` Similar prefixes exist: ${siblings.slice(0, EXAMPLES).join(', ')}${siblings.length > EXAMPLES ? ', …' : ''}.`;
  }
  return text;
}

/** Prefixes below `prefix` under which wal-e folders appear, from keys that matched nothing. */
function nestedArchives(prefix: string, unknown: string[]): string[] {
  const found = new Set<string>();
  for (const key of unknown) {
    const m = /^(.*?\/)(?:basebackups_005|wal_005|sysids)\//.exec(key.slice(prefix.length));
    if (m) found.add(prefix + m[1]);
    if (found.size >= EXAMPLES) break;
  }
  return [...found];
}

/** Run at most `n` of the given tasks at once. */
function pool(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    else active++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}
