/**
 * The swap as listr2 tasks (quarantine, copy, verify), each showing objects,
 * bytes, rate and ETA as it goes. Callers ask for confirmation before running
 * them: prompts never run inside the renderer.
 */
import type { ListrTask } from 'listr2';
import type { ObjectInfo, ObjectStore } from '../systems/types.js';
import { copyArchive, type CopyResult } from './copy.js';
import { archiveLocation, type S3Location } from './location.js';
import type { ProgressEvent } from './progress.js';
import { quarantine, type QuarantineResult } from './quarantine.js';
import { prepareSwap, verifyFailure, type SwapOptions, type SwapPlan } from './plan.js';
import { verifyCopy, type VerifyResult } from './verify.js';
import { formatBytes } from '../format.js';

export interface SwapTaskContext {
  plan?: SwapPlan;
  /** The source listing the plan was checked against; the copy and the verification reuse it. */
  source?: Map<string, ObjectInfo>;
  quarantine?: QuarantineResult;
  copy?: CopyResult;
  verify?: VerifyResult;
}

export function formatProgress(e: ProgressEvent): string {
  const eta = e.etaSeconds === null ? '' : `, ETA ${e.etaSeconds < 60 ? `${e.etaSeconds}s` : `${Math.floor(e.etaSeconds / 60)}m${e.etaSeconds % 60}s`}`;
  return (
    `${e.phase}: ${e.objectsDone}/${e.objectsTotal} objects, ` +
    `${formatBytes(e.bytesDone)}/${formatBytes(e.bytesTotal)}, ${formatBytes(e.rate)}/s${eta}`
  );
}

export function swapTask(
  store: ObjectStore,
  from: S3Location,
  to: S3Location,
  opts: SwapOptions = {},
): ListrTask<SwapTaskContext>[] {
  const src = archiveLocation(from, 'source');
  const tgt = archiveLocation(to, 'target');
  const progress = (task: { output: string }) => (e: ProgressEvent) => {
    task.output = formatProgress(e);
    opts.onProgress?.(e);
  };
  return [
    {
      title: `Move s3://${tgt.bucket}/${tgt.prefix} aside (copy to quarantine, verify, then delete)`,
      task: async (ctx, task) => {
        const prepared = await prepareSwap(store, src, tgt, opts);
        ctx.plan = prepared.plan;
        ctx.source = prepared.source;
        if (!opts.plan) await opts.onPlan?.(ctx.plan);
        ctx.quarantine = await quarantine(store, tgt, {
          stamp: ctx.plan.stamp,
          plan: ctx.plan.objects,
          concurrency: opts.concurrency,
          onProgress: progress(task),
        });
        task.title = `Moved ${ctx.quarantine.objects} object(s) to ${ctx.quarantine.quarantine}`;
      },
    },
    {
      title: `Copy s3://${src.bucket}/${src.prefix} into s3://${tgt.bucket}/${tgt.prefix}`,
      task: async (ctx, task) => {
        ctx.copy = await copyArchive(store, src, tgt, { concurrency: opts.concurrency, onProgress: progress(task), source: ctx.source });
        task.title = `Copied ${ctx.copy.copied} object(s) (${formatBytes(ctx.copy.bytesCopied)}), ${ctx.copy.skipped} already in place`;
      },
    },
    {
      title: 'Verify the target against the source (key, size, ETag)',
      task: async (ctx, task) => {
        ctx.verify = await verifyCopy(store, src, tgt, ctx.source);
        if (!ctx.verify.ok) throw verifyFailure(src, tgt, ctx.verify);
        task.title = `Target = source (${ctx.copy?.objects ?? '?'} objects)`;
      },
    },
  ];
}
