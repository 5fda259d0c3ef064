/**
 * The archive swap, the one step that can destroy the user's last copy of
 * their data: move the new instance's archive aside (quarantine), copy the old
 * archive in, verify. The source is never written; everything is checked
 * before the first write, and every phase is safe to rerun with the same plan.
 */
import type { Redactor } from '../core/redact.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import type { CopyResult } from './copy.js';
import { archiveLocation, urlOf, type S3Location } from './location.js';
import { copyPhase, quarantinePhase, verifyPhase } from './phases.js';
import { prepareSwap, type SwapOptions } from './plan.js';
import type { QuarantineResult } from './quarantine.js';
import { servePartials, type CheckedPartials, type PartialsServed } from './serve-partials.js';
import type { VerifyResult } from './verify.js';

export { quarantine } from './quarantine.js';
export { copyArchive } from './copy.js';
export { listArchive } from './listing.js';
export { verifyCopy } from './verify.js';
export { parseS3Location, quarantineLocation, utcStamp, type S3Location } from './location.js';
export { formatProgress, type ProgressEvent } from './progress.js';
export { journaledPlan, planFromJournal, prepareSwap, type SwapOptions, type SwapPlan } from './plan.js';
export { checkSwap, preflightSwap, swapLocations } from './check.js';
export { copyPhase, quarantinePhase, quarantineState, verifyPhase } from './phases.js';
export { refusedLine, servedLine } from './serve-partials.js';

export interface SwapReport {
  from: string;
  to: string;
  stamp: string;
  quarantine: QuarantineResult;
  copy: CopyResult;
  /** The old archive's `.partial` segments: the checked ones served under their full names, the others refused. */
  partials: PartialsServed;
  verify: VerifyResult;
}

/**
 * The whole swap in one go, through the same phases the runbook runs as its quarantine, copy and
 * verify steps: the source is listed once, when the plan is made, and serves the copy and the check.
 * After the copy, each checked `.partial` is served under its segment's full name, as the copy step does:
 * checked then (`redactor`: the run's, for the read errors an inspection of the partials reports), or
 * `checked` by the caller's inspection of the `source` listing it hands over, whose bodies are not read again.
 */
export async function runSwap(
  store: ObjectStore,
  from: S3Location,
  to: S3Location,
  opts: SwapOptions & ({ redactor: Redactor } | { checked: CheckedPartials; source: Map<string, ObjectInfo> }),
): Promise<SwapReport> {
  const src = archiveLocation(from, 'source');
  const tgt = archiveLocation(to, 'target');
  const { plan, source } = await prepareSwap(store, src, tgt, opts);
  if (!opts.plan) await opts.onPlan?.(plan);
  const common = { concurrency: opts.concurrency, onProgress: opts.onProgress };
  const quarantined = await quarantinePhase(store, src, tgt, plan, common);
  const copied = await copyPhase(store, src, tgt, { ...common, source });
  const partials = await servePartials(store, src, tgt, source, opts);
  const verified = await verifyPhase(store, src, tgt, source);
  return { from: urlOf(src), to: urlOf(tgt), stamp: plan.stamp, quarantine: quarantined, copy: copied, partials, verify: verified };
}
