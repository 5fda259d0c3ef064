/**
 * The phases of a swap, one function each, run by `runSwap` in one go and by the runbook's
 * archive steps one step at a time: plan (prepareSwap), quarantine, copy, verify. Every phase
 * checks its locations apart before it writes, and works from the plan fixed before the first
 * write, so running a phase again after a crash finishes it.
 */
import { StepFailed } from '../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { checkSwap, swapLocations } from './check.js';
import { compareMetadata } from './compare.js';
import { copyArchive, listSourceArchive, type CopyResult } from './copy.js';
import { archiveFingerprint } from './fingerprint.js';
import { listArchive } from './listing.js';
import { relativeKey, urlOf, type S3Location } from './location.js';
import { verifyFailure, type SwapPlan } from './plan.js';
import type { OnProgress } from './progress.js';
import { quarantine, type QuarantineResult } from './quarantine.js';
import { verifyCopy, type VerifyResult } from './verify.js';

export interface PhaseOptions {
  concurrency?: number;
  onProgress?: OnProgress;
}

/** Phase 1: move the target's planned objects into the quarantine (copy, verify, then delete). */
export async function quarantinePhase(
  store: ObjectStore,
  from: S3Location | string,
  to: S3Location | string,
  plan: SwapPlan,
  opts: PhaseOptions = {},
): Promise<QuarantineResult> {
  const { target } = swapLocations(from, to, plan.stamp);
  return quarantine(store, target, { ...opts, stamp: plan.stamp, plan: plan.objects });
}

export interface QuarantineState {
  quarantine: string;
  /** Planned objects not (yet) held in the quarantine, and planned objects still at the target. */
  notHeld: number;
  left: number;
}

/** How far the quarantine phase got: done when every planned object is held and none is left. */
export async function quarantineState(
  store: ObjectStore,
  from: S3Location | string,
  to: S3Location | string,
  plan: SwapPlan,
): Promise<QuarantineState> {
  const { target, quarantine: q } = swapLocations(from, to, plan.stamp);
  const [here, held] = await Promise.all([listArchive(store, target), listArchive(store, q)]);
  const notHeld = plan.objects.filter((o) => {
    const copy = held.get(relativeKey(target, o.key));
    return !copy || compareMetadata(o, copy) === false;
  });
  const left = plan.objects.filter((o) => {
    const now = here.get(relativeKey(target, o.key));
    return now !== undefined && compareMetadata(now, o) === true;
  });
  return { quarantine: urlOf(q), notHeld: notHeld.length, left: left.length };
}

export interface CopyPhaseOptions extends PhaseOptions {
  /** The source listing, when the caller already made it (the source is never written). */
  source?: Map<string, ObjectInfo>;
  /** Refuse to copy unless the source still has this fingerprint (the one it was inspected with). */
  fingerprint?: string;
}

/** Phase 2: copy the source into the target, listing the source once (or not at all when given). */
export async function copyPhase(
  store: ObjectStore,
  from: S3Location | string,
  to: S3Location | string,
  opts: CopyPhaseOptions = {},
): Promise<CopyResult> {
  const { source, target } = checkSwap(from, to);
  const listing = opts.source ?? (await listSourceArchive(store, source));
  if (opts.fingerprint !== undefined) {
    const now = archiveFingerprint(listing.values());
    if (now !== opts.fingerprint) {
      throw new StepFailed(
        `the old archive ${urlOf(source)} changed since it was inspected (fingerprint ${opts.fingerprint.slice(0, 12)} → ${now.slice(0, 12)})`,
        { hint: 'something is still writing to the old prefix, or it was modified; find out what before going on' },
      );
    }
  }
  return copyArchive(store, source, target, { ...opts, source: listing });
}

/** Phase 3: the target must hold exactly the source (key, size, ETag); throws what differs. */
export async function verifyPhase(
  store: ObjectStore,
  from: S3Location | string,
  to: S3Location | string,
  sourceListing?: Map<string, ObjectInfo>,
): Promise<VerifyResult> {
  const { source, target } = checkSwap(from, to);
  const verified = await verifyCopy(store, source, target, sourceListing);
  if (!verified.ok) throw verifyFailure(source, target, verified);
  return verified;
}
