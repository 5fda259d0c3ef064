/**
 * One restore of an archive to a target, kept for what follows (restore-to-time, recover-to-target). A
 * run's copies are in one folder of the temp folder, so that copies an interrupted attempt left are
 * found and removed.
 */
import { chmod, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { commandLine } from '../../core/command-line.js';
import { runDrill, type DrillOptions, type DrillReport } from '../../drill/drill.js';
import { DrillFailed } from '../../drill/exit-codes.js';
import { STANDBY_REFUSED } from '../../drill/scratch-cluster.js';
import { describeTarget, type RecoveryTarget } from '../../drill/recovery-target.js';
import { scratchEngine } from './scratch-engine.js';
import { stopServersOn } from '../../volumes/scratch-server.js';
import { removeContainersOn } from '../../drill/cluster-setup.js';
import { madeOwnFolder } from '../../core/own-folder.js';

/** The folder of a run's scratch copies in the scratch folder `scratch` (not created). */
export function scratchFolder(scratch: string, runId: string): string {
  return join(scratch, `dingo-restore-${runId}`);
}

/**
 * The run's scratch folder, made if need be: ours (a folder of that name someone else made is
 * refused), traversable but not listable by PostgreSQL's account, which owns each copy in it.
 */
async function ourScratchFolder(ctx: StepContext): Promise<string> {
  const dir = scratchFolder(ctx.runtime.scratch, ctx.runId);
  if (!(await madeOwnFolder(dir, 0o711))) {
    throw new StepFailed(`${dir} is not a folder this tool made: its copies of the database cannot go there`, {
      hint: `move ${dir} aside (it may be another user's), then resume`,
    });
  }
  await chmod(dir, 0o711);
  return dir;
}

/**
 * Stops a PostgreSQL left running on the copy in COPY (its data folder COPY/data): a scratch server of
 * this tool ends with its sandbox however the tool ends, but one an older version started (pg_ctl
 * detached it from the run) or someone started by hand would still serve the user's database, and a
 * copy removed under it, or started again on it, fails. Its PID, or undefined when none ran.
 */
export async function stopLeftoverServer(ctx: StepContext, copy: string): Promise<number | undefined> {
  const data = join(copy, 'data');
  const [pid] = await stopServersOn(data);
  if (pid !== undefined) ctx.note(`stopped the scratch PostgreSQL (pid ${pid}) an interrupted attempt left running on ${data}`);
  return pid;
}

/**
 * What an interrupted attempt left running on the copies in the run's scratch folder DIR, stopped
 * before a copy is removed: containers of the image (removed too), then local servers.
 */
export async function stopLeftoversIn(ctx: StepContext, dir: string): Promise<void> {
  const engine = scratchEngine(ctx);
  for (const name of engine ? await removeContainersOn(engine, dir) : []) {
    ctx.note(`stopped and removed the container ${name}, which an interrupted attempt left on a copy in ${dir}`);
  }
  for (const name of await readdir(dir)) await stopLeftoverServer(ctx, join(dir, name));
}

/** Copies earlier attempts left in the run's scratch folder (an attempt interrupted): none is used since. */
export async function removeLeftovers(ctx: StepContext): Promise<void> {
  const dir = await ourScratchFolder(ctx);
  await stopLeftoversIn(ctx, dir);
  for (const name of await readdir(dir)) {
    await rm(join(dir, name), { recursive: true, force: true });
    ctx.note(`removed ${join(dir, name)}, a copy an interrupted attempt left`);
  }
}

/**
 * One restore to `target`; the failure itself when a moment is out of reach or the restore cannot run here.
 * `how` may pause the copy at the target for a look, or go on from a copy paused earlier (the drill's `pause`, `from`, `look`).
 */
export async function restoreOnce(
  ctx: StepContext,
  url: string,
  target: RecoveryTarget,
  how: Pick<DrillOptions, 'pause' | 'from' | 'look'> & {
    /** Told when PostgreSQL would not keep the copy a hot standby, and it was restored again, promoted. */
    pauseRefused?: () => void;
  } = {},
): Promise<DrillReport | DrillFailed> {
  const workdir = await ourScratchFolder(ctx);
  try {
    return await runDrill({
      ...how,
      workdir,
      url,
      store: ctx.s3,
      processes: ctx.platform.processes,
      redactor: ctx.runtime.redactor,
      engine: scratchEngine(ctx),
      // A refusal of a moment names it as the runbook does, not as the drill's flag.
      target:
        target.stop.kind === 'time' ? { ...target, stop: { ...target.stop, time: { ...target.stop.time, given: 'the moment' } } } : target,
      keep: true,
      now: () => ctx.now(),
      progress: (m) => {
        ctx.progress(m);
      },
    });
  } catch (err) {
    if (!(err instanceof DrillFailed)) throw err;
    if (err.workdir) await rm(err.workdir, { recursive: true, force: true });
    // Nothing of this attempt is kept: the run's scratch folder goes too when no other copy is in it.
    await rmdir(workdir).catch(() => undefined);
    if (how.pause && STANDBY_REFUSED.test(err.message)) {
      ctx.note(`the copy cannot be read as a hot standby (${err.message}): restoring it again, promoted at the target`);
      how.pauseRefused?.();
      return restoreOnce(ctx, url, target, { look: how.look });
    }
    if (err.reachable || err.outcome === 'could-not-run') return err;
    throw new StepFailed(`the archive did not restore the database ${describeTarget(target)}: ${err.message}`, {
      hint: `${err.hint ?? ''} Nothing was changed; to restore to another target, end this run (${commandLine(['abandon', ctx.runId, '--reason', 'target not in the archive'])}) and start again with it.`.trim(),
    });
  }
}
