/** The plan of a swap, fixed and checked before its first write. */
import { StepFailed } from '../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { swapLocations } from './check.js';
import { listSourceAndTarget, listSourceArchive } from './copy.js';
import { sample } from './listing.js';
import { urlOf, type S3Location } from './location.js';
import type { OnProgress } from './progress.js';
import type { VerifyResult } from './verify.js';

/** What a swap will do, fixed before its first write; journal it to resume. */
export interface SwapPlan {
  stamp: string;
  /** The target's objects to quarantine. */
  objects: ObjectInfo[];
}

/** A swap plan as journaled: plain JSON, times as ISO text. */
export type JournaledSwapPlan = {
  stamp: string;
  objects: { key: string; size: number; etag: string; lastModified: string }[];
};

export function journaledPlan(plan: SwapPlan): JournaledSwapPlan {
  return { stamp: plan.stamp, objects: plan.objects.map((o) => ({ ...o, lastModified: o.lastModified.toISOString() })) };
}

export function planFromJournal(journaled: JournaledSwapPlan): SwapPlan {
  return { stamp: journaled.stamp, objects: journaled.objects.map((o) => ({ ...o, lastModified: new Date(o.lastModified) })) };
}

export interface SwapOptions {
  /** Quarantine stamp: the caller's clock's now, in UTC (utcStamp); a resume passes the journaled one (or the journaled plan). */
  stamp: string;
  /** The journaled plan of an earlier attempt; its stamp wins over `stamp`. */
  plan?: SwapPlan;
  /** Called with a new plan before anything is written, to journal it. */
  onPlan?: (plan: SwapPlan) => void | Promise<void>;
  concurrency?: number;
  /** The source listing, when the caller already made it with prepareSwap (the source is never written). */
  source?: Map<string, ObjectInfo>;
  onProgress?: OnProgress;
}

/**
 * Checks both archives and fixes the plan, writing nothing. Returns the plan and the source
 * listing it was checked against: the source is never written, so one listing serves the
 * copy and the verification too.
 */
export async function prepareSwap(
  store: ObjectStore,
  from: S3Location | string,
  to: S3Location | string,
  opts: SwapOptions,
): Promise<{ plan: SwapPlan; source: Map<string, ObjectInfo> }> {
  const stamp = opts.plan?.stamp ?? opts.stamp;
  const { source: src, target: tgt } = swapLocations(from, to, stamp);
  if (opts.plan) return { plan: opts.plan, source: await listSourceArchive(store, src, opts.source) };
  const { source, target } = await listSourceAndTarget(store, src, tgt, opts.source);
  return { plan: { stamp, objects: [...target.values()] }, source };
}

export function verifyFailure(src: S3Location, tgt: S3Location, v: VerifyResult): StepFailed {
  const parts = [
    v.missing.length ? `missing ${sample(v.missing)}` : '',
    v.different.length ? `different ${sample(v.different)}` : '',
    v.extra.length ? `extra ${sample(v.extra)}` : '',
  ].filter(Boolean);
  return new StepFailed(`${urlOf(tgt)} does not match ${urlOf(src)}: ${parts.join('; ')}`, {
    hint: v.extra.length
      ? 'extra objects mean something wrote into the target: is the new container stopped? Then resume.'
      : 'resume: the copy skips what is already in place and copies the rest',
  });
}
