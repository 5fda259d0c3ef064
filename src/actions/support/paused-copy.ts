/**
 * restore-to-time's copy kept paused at the moment looked at (a hot standby: drill.ts `pause`), so
 * that a later moment on the same timeline is reached from it: its target written anew, the server
 * started again, replay going on from its last restartpoint with the WAL already fetched (only what
 * is not local yet is fetched), no base backup. An earlier moment, or any other target, lies behind
 * what the copy replayed: that needs a restore from the base backup again, and the copy goes.
 */
import { rm } from 'node:fs/promises';
import type { StepContext } from '../../engine/executor/index.js';
import type { DrillReport, PausedCopy } from '../../drill/drill.js';
import { describeTarget, type RecoveryTarget } from '../../drill/recovery-target.js';

/** A copy paused at `target`, the restore that left it there. */
export interface Paused {
  report: DrillReport;
  target: RecoveryTarget;
}

/** `next` can be reached from the copy paused at `at`: a later moment, left out or included as before, on the same timeline. */
function forwardOf(at: RecoveryTarget, next: RecoveryTarget): boolean {
  return (
    at.stop.kind === 'time' &&
    next.stop.kind === 'time' &&
    at.exclusive === next.exclusive &&
    at.timeline === next.timeline &&
    next.stop.time.at.getTime() > at.stop.time.at.getTime()
  );
}

/**
 * Where the restore to `next` starts: the paused copy when `next` is ahead of it, else nothing, the
 * copy removed (it is the user's whole database) and the operator told why the base backup is restored again.
 */
export async function startFrom(ctx: StepContext, paused: Paused | null, next: RecoveryTarget): Promise<PausedCopy | undefined> {
  if (!paused) return undefined;
  const workdir = paused.report.workdir!;
  if (forwardOf(paused.target, next)) {
    ctx.note(`moving the copy paused ${describeTarget(paused.target)} forward: replay goes on from there, no base backup is fetched again`);
    return { workdir, backup: paused.report.backup.name };
  }
  await rm(workdir, { recursive: true, force: true });
  ctx.note(
    `the copy paused ${describeTarget(paused.target)} cannot go back or elsewhere (${describeTarget(next)}): restoring again from the base backup; removed ${workdir}`,
  );
  return undefined;
}
