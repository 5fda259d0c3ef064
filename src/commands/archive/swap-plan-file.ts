/** The swap plan file: written before the first change, read back to resume the same swap. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { S3Location } from '../../core/s3-url.js';
import type { ObjectInfo } from '../../core/seams.js';
import { messageOf, UsageError } from '../../core/errors.js';
import { isRecord } from '../../core/json.js';
import type { SwapPlan } from '../../archive/swap.js';

/** Where the plan of a swap into `to` is kept unless --plan says otherwise. */
export function planFileFor(to: S3Location, stateDir: string, plan?: string): string {
  return resolve(plan ?? join(stateDir, 'swaps', `${to.bucket}_${to.prefix.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`));
}

function objectInfo(value: unknown, n: number): ObjectInfo {
  if (isRecord(value)) {
    const { key, size, etag, lastModified } = value;
    const when = typeof lastModified === 'string' || typeof lastModified === 'number' ? lastModified : undefined;
    if (typeof key === 'string' && typeof size === 'number' && typeof etag === 'string' && when !== undefined) {
      return { key, size, etag, lastModified: new Date(when) };
    }
  }
  throw new Error(`object ${n} is not {key, size, etag, lastModified}`);
}

function parsePlan(text: string): SwapPlan {
  const plan: unknown = JSON.parse(text);
  if (!isRecord(plan) || typeof plan.stamp !== 'string' || !Array.isArray(plan.objects)) throw new Error('it has no stamp and objects');
  return { stamp: plan.stamp, objects: plan.objects.map(objectInfo) };
}

/** The plan an earlier `archive swap` of the same target wrote, or undefined when there is none. */
export function loadPlan(planFile: string): SwapPlan | undefined {
  if (!existsSync(planFile)) return undefined;
  try {
    return parsePlan(readFileSync(planFile, 'utf8'));
  } catch (err) {
    throw new UsageError(`the swap plan ${planFile} cannot be used: ${messageOf(err)}`, {
      hint: 'it is written by an earlier `archive swap` of the same target; restore it from that run, or point --plan elsewhere to start afresh',
    });
  }
}

export function writePlan(planFile: string, plan: SwapPlan): void {
  mkdirSync(resolve(planFile, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(planFile, JSON.stringify(plan));
}
