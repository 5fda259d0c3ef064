/** The docker client of a cell, reached through the step's recorded session to it. */
import type { StepContext } from '../../engine/context.js';
import { CellDocker } from '../../adapters/docker.js';

export async function cellDocker(ctx: StepContext, cellIp: string): Promise<CellDocker> {
  const session = await ctx.cell(cellIp);
  return new CellDocker(session, { binary: ctx.settings.dockerBinary, host: ctx.settings.dockerHost, sudo: true });
}

export async function containerState(ctx: StepContext, cellIp: string, container: string): Promise<'running' | 'stopped' | 'missing'> {
  const info = await (await cellDocker(ctx, cellIp)).inspect(container);
  if (!info) return 'missing';
  return info.state.running ? 'running' : 'stopped';
}
