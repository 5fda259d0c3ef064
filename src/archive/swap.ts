/**
 * The archive swap, the one step that can destroy the user's last copy of
 * their data: move the new instance's archive aside (quarantine), copy the old
 * archive in, verify. The source is never written; everything is checked
 * before the first write, and every phase is safe to rerun with the same plan.
 */
import type { ObjectStore } from '../core/seams.js';
import { copyArchive, type CopyResult } from './copy.js';
import { archiveLocation, urlOf, type S3Location } from './location.js';
import { prepareSwap, verifyFailure, type SwapOptions } from './plan.js';
import { quarantine, type QuarantineResult } from './quarantine.js';
import { verifyCopy, type VerifyResult } from './verify.js';

export { quarantine, type QuarantineOptions, type QuarantineResult } from './quarantine.js';
export { copyArchive, type CopyOptions, type CopyResult } from './copy.js';
export { verifyCopy, type VerifyResult } from './verify.js';
export { parseS3Location, quarantineLocation, utcStamp, type S3Location } from './location.js';
export { formatProgress, type ProgressEvent, type OnProgress, type SwapPhase } from './progress.js';
export { prepareSwap, type SwapOptions, type SwapPlan } from './plan.js';
export { checkQuarantine, checkSwap, preflightSwap, type SwapLocations, type SwapPreflight } from './check.js';

export interface SwapReport {
  from: string;
  to: string;
  stamp: string;
  quarantine: QuarantineResult;
  copy: CopyResult;
  verify: VerifyResult;
}

export async function runSwap(store: ObjectStore, from: S3Location, to: S3Location, opts: SwapOptions = {}): Promise<SwapReport> {
  const src = archiveLocation(from, 'source');
  const tgt = archiveLocation(to, 'target');
  const { plan, source } = await prepareSwap(store, src, tgt, opts);
  if (!opts.plan) await opts.onPlan?.(plan);
  const common = { concurrency: opts.concurrency, onProgress: opts.onProgress };
  const quarantined = await quarantine(store, tgt, { ...common, stamp: plan.stamp, plan: plan.objects });
  const copied = await copyArchive(store, src, tgt, { ...common, source });
  const verified = await verifyCopy(store, src, tgt, source);
  if (!verified.ok) throw verifyFailure(src, tgt, verified);
  return { from: urlOf(src), to: urlOf(tgt), stamp: plan.stamp, quarantine: quarantined, copy: copied, verify: verified };
}
