/** The new instance's container on its cell: its docker client, its state, and who may log in to what it serves. */
import type { StepContext } from '../../engine/executor/index.js';
import { optional } from '../../engine/runbook/index.js';
import { CellDocker, type ContainerInfo } from '../../adapters/docker.js';
import type { PgLogin } from '../../adapters/postgres.js';
import { StepFailed } from '../../core/errors.js';
import { recordedSuperuser } from '../../logs/clusterdata.js';
import { containerOn } from './params.js';
import { clusterdataOf } from './sources.js';

export const where = containerOn('cell IP', 'container name (cf-<node-uuid>)');

/** Where the restored database lives, and whose archive it holds (for that instance's recorded credentials). */
export const restored = {
  ...where,
  oldInstanceGuid: optional('string', 'the deleted instance, whose clusterdata record holds the restored superuser'),
} as const;

export async function cellDocker(ctx: StepContext, cellIp: string): Promise<CellDocker> {
  const session = await ctx.cell(cellIp);
  return new CellDocker(session, {
    binary: ctx.settings.dockerBinary,
    host: ctx.settings.dockerHost,
    sudo: true,
    redactor: ctx.runtime.redactor,
  });
}

type ContainerState = 'running' | 'stopped' | 'missing';

/** What a docker inspect (null: no such container) says of the container. */
function stateOf(info: ContainerInfo | null): ContainerState {
  if (!info) return 'missing';
  return info.state.running ? 'running' : 'stopped';
}

export async function containerState(ctx: StepContext, cellIp: string, container: string): Promise<ContainerState> {
  return stateOf(await (await cellDocker(ctx, cellIp)).inspect(container));
}

/**
 * Stops or starts the container unless `seen`, the step's own docker inspect of it, shows it so
 * already; then checks with docker inspect that it is: when it is not, the step fails with what
 * it is instead. (Stopping a container that stopped since, or starting one that started, is a
 * no-op for docker; the check after is what the step stands on.)
 */
export async function bringContainerTo(
  ctx: StepContext,
  at: { cellIp: string; container: string },
  seen: ContainerInfo,
  wanted: 'running' | 'stopped',
): Promise<void> {
  const docker = await cellDocker(ctx, at.cellIp);
  const sent = stateOf(seen) !== wanted;
  if (sent) {
    if (wanted === 'stopped') await docker.stop(at.container, { timeoutSeconds: 30 });
    else await docker.start(at.container);
  }
  const after = await containerState(ctx, at.cellIp, at.container);
  if (after !== wanted) {
    const why = sent
      ? `is still ${after} after docker ${wanted === 'stopped' ? 'stop' : 'start'}`
      : `is ${after} now, though it was ${wanted} when this step looked: something else changed it`;
    throw new StepFailed(`container ${at.container} ${why}`, { hint: 'look at `docker logs` on the cell; then resume' });
  }
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

export async function inspectOrFail(ctx: StepContext, cellIp: string, container: string): Promise<ContainerInfo> {
  const info = await (await cellDocker(ctx, cellIp)).inspect(container);
  if (!info) {
    throw new StepFailed(`no container ${container} on cell ${cellIp}`, {
      hint: 'the logs or bosh may point at the wrong cell; check `docker ps` on the cells of the Dingo deployment',
    });
  }
  return info;
}

/**
 * Logins the restored database may still accept: the deleted instance's superuser as the
 * broker recorded it in the clusterdata bucket (--clusterdata), and as the operator gives it
 * (answers file `secrets.oldSuperuserPassword`, or DINGO_OLD_SUPERUSER_PASSWORD; its name is
 * the new container's SUPERUSER_USERNAME unless `secrets.oldSuperuserUsername` says otherwise).
 */
export async function oldSuperuser(ctx: StepContext, info: ContainerInfo, oldInstanceGuid: string | undefined): Promise<PgLogin[]> {
  const logins: PgLogin[] = [];
  const bucket = clusterdataOf(ctx);
  if (bucket && oldInstanceGuid) {
    const recorded = await recordedSuperuser(bucket, oldInstanceGuid, ctx.runtime.redactor);
    if (recorded) logins.push({ user: recorded.username, password: recorded.password });
    else ctx.note(`the clusterdata bucket holds no superuser credentials for ${oldInstanceGuid}`);
  }
  const password = ctx.answers.secrets.oldSuperuserPassword ?? ctx.runtime.env.DINGO_OLD_SUPERUSER_PASSWORD;
  if (password) {
    ctx.runtime.redactor.register(password);
    logins.push({ user: ctx.answers.secrets.oldSuperuserUsername ?? info.env.SUPERUSER_USERNAME ?? 'postgres', password });
  }
  return logins;
}
