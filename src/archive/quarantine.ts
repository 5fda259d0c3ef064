/**
 * Move the new instance's archive aside instead of deleting it: server-side
 * copy every object to `<prefix>.quarantine-<stamp>/`, verify the copies, and
 * only then delete the originals. Every decision is made against the plan
 * (the listing journaled before the first attempt), so a rerun after a crash
 * at any point finishes the job, never re-quarantines objects that arrived
 * later, and never deletes an object that is not safely held in quarantine.
 */
import { StepFailed, UsageError } from '../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { compareMetadata, sameObject } from './compare.js';
import { DEFAULT_COPY_CONCURRENCY } from './copy.js';
import { listArchive, sample, totalBytes } from './listing.js';
import { archiveLocation, quarantineLocation, relativeKey, urlOf, type S3Location } from './location.js';
import { mapLimit } from '../core/concurrency.js';
import { ProgressTracker, type OnProgress } from './progress.js';

export interface QuarantineOptions {
  /** UTC timestamp naming the quarantine prefix, e.g. 20260317T180520Z; the same stamp resumes. */
  stamp: string;
  /** The objects to move, as listed and journaled before the first attempt; default: the target as it is now. */
  plan?: ObjectInfo[];
  concurrency?: number;
  onProgress?: OnProgress;
}

export interface QuarantineResult {
  target: string;
  quarantine: string;
  /** Objects in the plan, and their bytes. */
  objects: number;
  bytes: number;
  /** Copied into quarantine by this call. */
  copied: number;
  /** Found already copied and verified (an earlier attempt). */
  alreadyQuarantined: number;
  /** Originals deleted by this call. */
  deleted: number;
}

export async function quarantine(store: ObjectStore, target: S3Location, opts: QuarantineOptions): Promise<QuarantineResult> {
  const tgt = archiveLocation(target, 'quarantine target');
  const q = quarantineLocation(tgt, opts.stamp);
  const concurrency = opts.concurrency ?? DEFAULT_COPY_CONCURRENCY;
  const plan = opts.plan ?? [...(await listArchive(store, tgt)).values()];
  for (const p of plan) {
    if (!p.key.startsWith(tgt.prefix)) {
      throw new UsageError(`the quarantine plan names ${p.key}, which is not under ${urlOf(tgt)}`, {
        hint: 'the plan must be the listing of the target archive taken before the first attempt',
      });
    }
  }
  const result: QuarantineResult = {
    target: urlOf(tgt),
    quarantine: urlOf(q),
    objects: plan.length,
    bytes: totalBytes(plan),
    copied: 0,
    alreadyQuarantined: 0,
    deleted: 0,
  };
  if (plan.length === 0) return result;

  const [current, held] = await Promise.all([listArchive(store, tgt), listArchive(store, q)]);
  const { toCopy, alreadyQuarantined } = await stillToCopy(store, tgt, q, plan, current, held);
  result.alreadyQuarantined = alreadyQuarantined;

  const copying = new ProgressTracker('quarantine-copy', toCopy.length, totalBytes(toCopy), opts.onProgress);
  await mapLimit(
    toCopy,
    concurrency,
    async (p) => {
      const rel = relativeKey(tgt, p.key);
      await store.copy({ bucket: tgt.bucket, key: p.key }, { bucket: q.bucket, key: q.prefix + rel }, p.size);
      result.copied++;
      copying.add(1, p.size);
    },
    { stopOnFailure: true },
  );

  // Verify every planned object from a fresh listing before anything is deleted.
  const verifying = new ProgressTracker('quarantine-verify', plan.length, result.bytes, opts.onProgress);
  const heldNow = await listArchive(store, q);
  const unverified: string[] = [];
  await mapLimit(
    plan,
    concurrency,
    async (p) => {
      const rel = relativeKey(tgt, p.key);
      if (!(await isHeld(store, tgt, q, p, current.get(rel), heldNow.get(rel)))) unverified.push(p.key);
      verifying.add(1, p.size);
    },
    { stopOnFailure: true },
  );
  if (unverified.length > 0) {
    throw new StepFailed(`${unverified.length} object(s) did not verify in ${urlOf(q)} (key, size, ETag): ${sample(unverified)}`, {
      hint: 'nothing was deleted; resume to copy them again',
    });
  }
  result.deleted = await deleteOriginals(store, tgt, plan, current, opts.onProgress);
  return result;
}

/** The planned objects not yet safely in quarantine; refuses when one vanished or changed since the plan. */
async function stillToCopy(
  store: ObjectStore,
  tgt: S3Location,
  q: S3Location,
  plan: ObjectInfo[],
  current: Map<string, ObjectInfo>,
  held: Map<string, ObjectInfo>,
): Promise<{ toCopy: ObjectInfo[]; alreadyQuarantined: number }> {
  const toCopy: ObjectInfo[] = [];
  const lost: string[] = [];
  const changed: string[] = [];
  let alreadyQuarantined = 0;
  for (const p of plan) {
    const rel = relativeKey(tgt, p.key);
    const now = current.get(rel);
    if (await isHeld(store, tgt, q, p, now, held.get(rel))) alreadyQuarantined++;
    else if (!now) lost.push(p.key);
    else if (compareMetadata(now, p) !== true) changed.push(p.key);
    else toCopy.push(p);
  }
  if (lost.length > 0) {
    throw new StepFailed(`${lost.length} planned object(s) are gone from ${urlOf(tgt)} and not in ${urlOf(q)}: ${sample(lost)}`, {
      hint: 'something else deleted them (is the new container stopped?); nothing more was deleted. Check before going on.',
    });
  }
  if (changed.length > 0) {
    throw new StepFailed(`${changed.length} object(s) under ${urlOf(tgt)} changed since the plan was made: ${sample(changed)}`, {
      hint: "something is still writing to the target archive: stop the new instance's container, then start the swap again",
    });
  }
  return { toCopy, alreadyQuarantined };
}

/** Deletes only originals that are still exactly the planned objects (all now held in quarantine). */
async function deleteOriginals(
  store: ObjectStore,
  tgt: S3Location,
  plan: ObjectInfo[],
  current: Map<string, ObjectInfo>,
  onProgress: OnProgress | undefined,
): Promise<number> {
  const doomed = plan.filter((p) => {
    const now = current.get(relativeKey(tgt, p.key));
    return now !== undefined && compareMetadata(now, p) === true;
  });
  const deleting = new ProgressTracker('quarantine-delete', doomed.length, totalBytes(doomed), onProgress);
  await store.deleteMany(
    tgt.bucket,
    doomed.map((p) => p.key),
  );
  deleting.add(doomed.length, totalBytes(doomed));
  return doomed.length;
}

/**
 * Is planned object `p` safely in quarantine? Its copy must match the plan; when
 * only a body sample can tell (multipart ETags), compare with the original if it
 * is still there, or accept the size match if the original is gone, since an
 * original is deleted only after its copy verified.
 */
async function isHeld(
  store: ObjectStore,
  tgt: S3Location,
  q: S3Location,
  p: ObjectInfo,
  now: ObjectInfo | undefined,
  copy: ObjectInfo | undefined,
): Promise<boolean> {
  if (!copy) return false;
  const byMetadata = compareMetadata(p, copy);
  if (byMetadata !== 'sample') return byMetadata;
  if (!now) return true;
  if (compareMetadata(now, p) !== true) return false;
  return sameObject(store, { bucket: tgt.bucket, info: now }, { bucket: q.bucket, info: copy });
}
