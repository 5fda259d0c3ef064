/**
 * Copy an archive server-side into another prefix. Objects already at the
 * target (same key, size and ETag) are skipped, so a rerun after a crash copies
 * only what is missing or different. Base-backup sentinels go last, one at a
 * time, in their original LastModified order, each landing in a later second
 * than the one before: wal-e's LATEST is the backup whose sentinel has the
 * newest LastModified, and copies reset LastModified, so the copy order is
 * what keeps LATEST at the target naming the same backup as at the source.
 */
import { StepFailed, UsageError } from '../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { sameObject } from './compare.js';
import { isSentinel, listArchive, totalBytes } from './listing.js';
import { archiveLocation, overlaps, urlOf, type S3Location } from './location.js';
import { mapLimit } from '../core/concurrency.js';
import { ProgressTracker, type OnProgress } from './progress.js';

export interface CopyOptions {
  /** Copies in flight (default 32). */
  concurrency?: number;
  /** The source listing, when the caller has already made it (the source is never written). */
  source?: Map<string, ObjectInfo>;
  onProgress?: OnProgress;
}

export interface CopyResult {
  source: string;
  target: string;
  /** Objects and bytes in the source archive. */
  objects: number;
  bytes: number;
  /** Copied by this call, and their bytes. */
  copied: number;
  bytesCopied: number;
  /** Already in place at the target. */
  skipped: number;
  /** Sentinel keys (relative) in the order they now stand at the target, oldest first. */
  sentinels: string[];
}

export const DEFAULT_COPY_CONCURRENCY = 32;
const SENTINEL_ATTEMPTS = 5;

/** Refuse a target inside the source or a source inside the target. */
export function assertSeparate(source: S3Location, target: S3Location, what = 'target'): void {
  if (overlaps(source, target)) {
    throw new UsageError(
      `refusing to write ${urlOf(target)}: the ${what} overlaps the source archive ${urlOf(source)}, which is never written`,
      { hint: 'check --from and --to: the source is the OLD (deleted) instance, the target the NEW one' },
    );
  }
}

/**
 * The source listing (`listed` when the caller already made it), refusing an empty prefix or one that
 * holds no wal-e archive (a typo, most often).
 */
export async function listSourceArchive(
  store: ObjectStore,
  source: S3Location,
  listed?: Map<string, ObjectInfo>,
): Promise<Map<string, ObjectInfo>> {
  const objects = listed ?? (await listArchive(store, source));
  if (objects.size === 0) {
    throw new StepFailed(`the source ${urlOf(source)} holds no objects at ${store.where}: nothing to copy, nothing was written`, {
      hint: 'check the GUID and the prefix in the URL (wal-e archives are s3://BUCKET/backups/<GUID>/wal/)',
    });
  }
  const layout = [...objects.keys()].some((k) => k.startsWith('basebackups_005/') || k.startsWith('wal_005/'));
  if (!layout) {
    throw new StepFailed(
      `the source ${urlOf(source)} holds ${objects.size} object(s) but no basebackups_005/ or wal_005/: it is not a wal-e archive; nothing was written`,
      { hint: 'the prefix should end in /wal/ (s3://BUCKET/backups/<GUID>/wal/)' },
    );
  }
  return objects;
}

/**
 * The source (its listing given or made here, checked as listSourceArchive checks it) and the target, listed
 * at once: neither listing depends on the other. A failure of the source's is the one reported.
 */
export async function listSourceAndTarget(
  store: ObjectStore,
  source: S3Location,
  target: S3Location,
  listed?: Map<string, ObjectInfo>,
): Promise<{ source: Map<string, ObjectInfo>; target: Map<string, ObjectInfo> }> {
  const targetListing = listArchive(store, target);
  targetListing.catch(() => undefined);
  const sourceListing = await listSourceArchive(store, source, listed);
  return { source: sourceListing, target: await targetListing };
}

export async function copyArchive(store: ObjectStore, source: S3Location, target: S3Location, opts: CopyOptions = {}): Promise<CopyResult> {
  const src = archiveLocation(source, 'source');
  const tgt = archiveLocation(target, 'target');
  assertSeparate(src, tgt);
  const concurrency = opts.concurrency ?? DEFAULT_COPY_CONCURRENCY;
  const { source: from, target: existing } = await listSourceAndTarget(store, src, tgt, opts.source);

  const regular = [...from].filter(([rel]) => !isSentinel(rel));
  const sentinels = [...from]
    .filter(([rel]) => isSentinel(rel))
    .sort(([ra, a], [rb, b]) => a.lastModified.getTime() - b.lastModified.getTime() || (ra < rb ? -1 : 1));

  const result: CopyResult = {
    source: urlOf(src),
    target: urlOf(tgt),
    objects: from.size,
    bytes: totalBytes(from.values()),
    copied: 0,
    bytesCopied: 0,
    skipped: 0,
    sentinels: [],
  };
  const copyOne = async (rel: string, o: ObjectInfo): Promise<ObjectInfo> => {
    const done = await store.copy({ bucket: src.bucket, key: o.key }, { bucket: tgt.bucket, key: tgt.prefix + rel }, o.size);
    result.copied++;
    result.bytesCopied += o.size;
    return done;
  };
  const inPlace = async (rel: string, o: ObjectInfo): Promise<ObjectInfo | undefined> => {
    const there = existing.get(rel);
    if (!there) return undefined;
    return (await sameObject(store, { bucket: src.bucket, info: o }, { bucket: tgt.bucket, info: there })) ? there : undefined;
  };

  const progress = new ProgressTracker('copy', regular.length, totalBytes(regular.map(([, o]) => o)), opts.onProgress);
  await mapLimit(
    regular,
    concurrency,
    async ([rel, o]) => {
      if (await inPlace(rel, o)) result.skipped++;
      else await copyOne(rel, o);
      progress.add(1, o.size);
    },
    { stopOnFailure: true },
  );

  const sentinelProgress = new ProgressTracker(
    'copy-sentinels',
    sentinels.length,
    totalBytes(sentinels.map(([, o]) => o)),
    opts.onProgress,
  );
  let previous: Date | undefined;
  let recopyRest = false;
  for (const [rel, o] of sentinels) {
    const there = recopyRest ? undefined : await inPlace(rel, o);
    if (there && (!previous || second(there.lastModified) > second(previous))) {
      result.skipped++;
      previous = there.lastModified;
    } else {
      // Once one sentinel is (re)copied, every later one must be copied after it.
      recopyRest = true;
      previous = await copySentinelAfter(previous, () => copyOne(rel, o), tgt, rel);
    }
    result.sentinels.push(rel);
    sentinelProgress.add(1, o.size);
  }
  return result;
}

/** Copy until the copy's LastModified falls in a later second than `previous` (S3 keeps whole seconds). */
async function copySentinelAfter(previous: Date | undefined, copy: () => Promise<ObjectInfo>, tgt: S3Location, rel: string): Promise<Date> {
  for (let attempt = 0; attempt < SENTINEL_ATTEMPTS; attempt++) {
    if (previous) await sleepUntilSecondAfter(previous);
    const done = await copy();
    if (!previous || second(done.lastModified) > second(previous)) return done.lastModified;
  }
  throw new StepFailed(
    `${urlOf(tgt)}${rel} kept the same LastModified second as the sentinel copied before it; LATEST would be ambiguous`,
    { hint: 'the clocks of this machine and the S3 endpoint may disagree; resume to copy the sentinels again' },
  );
}

function second(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function sleepUntilSecondAfter(d: Date): Promise<void> {
  // The store stamps real time, whatever clock the run was given: the wait is measured, not recorded.
  const wait = (second(d) + 1) * 1000 - (performance.timeOrigin + performance.now());
  return wait > 0 ? new Promise((r) => setTimeout(r, wait + 5)) : Promise.resolve();
}
