/** The docker client of a cell, reached through the step's recorded session to it. */
import type { StepContext } from '../../engine/executor/index.js';
import { CellDocker } from '../../adapters/docker.js';
import type { PromotionPoll } from '../../adapters/postgres.js';
import { majorOfVersionNum, type ReplayAnswer } from '../../adapters/postgres-replay.js';
import { formatDuration } from '../../core/duration.js';
import { StepFailed } from '../../core/errors.js';
import { formatSegment, segmentDistance, segmentOfLsn, tryParseSegment } from '../../wale/segments.js';

export async function cellDocker(ctx: StepContext, cellIp: string): Promise<CellDocker> {
  const session = await ctx.cell(cellIp);
  return new CellDocker(session, {
    binary: ctx.settings.dockerBinary,
    host: ctx.settings.dockerHost,
    sudo: true,
    redactor: ctx.runtime.redactor,
  });
}

export async function containerState(ctx: StepContext, cellIp: string, container: string): Promise<'running' | 'stopped' | 'missing'> {
  const info = await (await cellDocker(ctx, cellIp)).inspect(container);
  if (!info) return 'missing';
  return info.state.running ? 'running' : 'stopped';
}

/**
 * Stops or starts the container unless it already is so, then checks with docker inspect that it is:
 * when it is not, the step fails with what it is instead.
 */
export async function bringContainerTo(
  ctx: StepContext,
  at: { cellIp: string; container: string },
  wanted: 'running' | 'stopped',
): Promise<void> {
  const docker = await cellDocker(ctx, at.cellIp);
  if ((await containerState(ctx, at.cellIp, at.container)) !== wanted) {
    if (wanted === 'stopped') await docker.stop(at.container, { timeoutSeconds: 30 });
    else await docker.start(at.container);
  }
  const after = await containerState(ctx, at.cellIp, at.container);
  if (after !== wanted)
    throw new StepFailed(`container ${at.container} is still ${after} after docker ${wanted === 'stopped' ? 'stop' : 'start'}`, {
      hint: 'look at `docker logs` on the cell; then resume',
    });
  ctx.evidence(`docker inspect: ${at.container} State.Running=${wanted === 'running'}`);
}

/** A probe's answer: done with `outputs` when docker inspect shows the container as wanted. */
export async function probeContainerIs<O>(
  ctx: StepContext,
  at: { cellIp: string; container: string },
  wanted: 'running' | 'stopped',
  outputs: O,
): Promise<{ done: true; outputs: O; why: string } | { done: false; why: string }> {
  const state = await containerState(ctx, at.cellIp, at.container);
  return state === wanted ? { done: true, outputs, why: `docker inspect shows it ${wanted}` } : { done: false, why: `it is ${state}` };
}

/** Where a restoring container stands, in words: what the wait awaits, for how long, and how far replay has come. */
export function describeRestorePoll(poll: PromotionPoll, lastSegment?: string): string {
  const took = formatDuration(poll.elapsedMs);
  if (poll.stage === 'promoted') return `promoted after ${took} (pg_is_in_recovery() = f), poll ${poll.attempt}`;
  const state =
    poll.stage === 'not-running'
      ? `container not running yet (${poll.detail})`
      : poll.stage === 'not-ready'
        ? `not accepting connections yet (${poll.detail})`
        : `replaying the archive: ${describeReplay(poll.replay, lastSegment)}`;
  return `waiting for pg_is_in_recovery() = f, ${took}: ${state}, poll ${poll.attempt}`;
}

/** "WAL segment X of Y": X holds the last record replayed, Y is the archive's last segment (when known). */
export function describeReplay(replay: ReplayAnswer | undefined, lastSegment?: string): string {
  if (replay?.kind !== 'position') return `replay position unknown (${replay?.detail ?? 'not asked'})`;
  const { lsn, timeline, versionNum } = replay.position;
  const last = lastSegment ? tryParseSegment(lastSegment) : null;
  const tli = timeline ?? last?.tli;
  if (tli === undefined) return `replayed up to ${lsn}`;
  const at = segmentOfLsn(lsn, tli);
  if (!last) return `WAL segment ${formatSegment(at)}`;
  const left = segmentDistance(at, last, majorOfVersionNum(versionNum));
  return `WAL segment ${formatSegment(at)} of ${formatSegment(last)}${left > 0 ? ` (${left} to go)` : ''}`;
}
