/**
 * How a drill step names the folder it fetches and restores the archive in on this machine (a whole
 * copy of the tenant's database): after the run and the step, so that what a killed session left is
 * found. The step's next attempt removes it first, saying so; `abandon` removes every one of the
 * run's (scratch-copies.ts). The drill removes its folder when it ends, and on a signal as the
 * process exits (core/exit-cleanup.ts).
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext } from '../../engine/executor/index.js';
import { isOwnFolder } from '../../core/own-folder.js';

/** The characters mkdtemp adds to a prefix. */
const MKDTEMP_SUFFIX = 6;

/** The prefix of every drill folder of the run `runId` in the scratch folder. */
export function drillScratchPrefix(runId: string): string {
  return `dingo-drill-${runId}-`;
}

/**
 * The prefix the step's drill folder is made with in the scratch folder, after removing the folders of
 * that prefix an interrupted attempt left there (only real folders of this account: the scratch folder
 * may be shared).
 */
export async function drillWorkdirPrefix(ctx: StepContext): Promise<string> {
  const prefix = `${drillScratchPrefix(ctx.runId)}${ctx.stepId.replace(/[^A-Za-z0-9._-]/g, '_')}.`;
  const scratch = ctx.runtime.scratch;
  for (const name of await readdir(scratch).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || name.length !== prefix.length + MKDTEMP_SUFFIX) continue;
    const path = join(scratch, name);
    const st = await lstat(path).catch(() => null);
    if (!st || !isOwnFolder(st)) continue;
    await rm(path, { recursive: true, force: true });
    ctx.note(`removed ${path}, which an interrupted drill of this step left on this machine`);
  }
  return prefix;
}
