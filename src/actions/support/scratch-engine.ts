/**
 * The Docker Engine on this machine (--scratch-docker-host) whose `postgres:<major>` image runs a
 * step's scratch server (a drill, a restore to a moment, a look inside it) when that major is not
 * installed here. Unset: local binaries only.
 */
import type { DockerEngine } from '../../core/seams.js';
import type { StepContext } from '../../engine/executor/index.js';

export function scratchEngine(ctx: StepContext): DockerEngine | undefined {
  const host = ctx.settings.scratchDockerHost;
  return host ? ctx.platform.dockerEngine(host) : undefined;
}
