/**
 * registrator (the container named `registrator` every Dingo cell runs, kept up by monit's
 * `registrator` job: dingo-postgresql-release `jobs/registrator/templates/bin/ctl` runs it as
 * `--name=registrator`, from `cfcommunity/registrator:latest` or, as the job notes, `gliderlabs/registrator`)
 * tells etcd of each container Docker starts on the cell. Started while it is down, a container is
 * never registered, and a wait for it waits for nothing: it is checked, through the cell's own
 * Docker, before the new instance's container is stopped. It is known by its name, whatever its image.
 */
import type { CellDocker } from '../../adapters/docker.js';
import { commandLine } from '../../core/command-line.js';

const REGISTRATOR = 'registrator';

/** How registrator runs on the cell, in words; throws, saying how it stands, when it does not run. */
export async function registratorRuns(docker: CellDocker): Promise<string> {
  const info = await docker.inspect(REGISTRATOR);
  if (!info) throw new Error(`no container named ${REGISTRATOR} on the cell (docker inspect ${REGISTRATOR} found none)`);
  const id = info.id.slice(0, 12);
  if (!info.state.running)
    throw new Error(
      `its container ${id} (${info.image}) is not running: ${info.state.status || 'stopped'}, exit code ${String(info.state.exitCode)}${info.state.finishedAt ? ` at ${info.state.finishedAt}` : ''}`,
    );
  return `running (container ${id}, ${info.image}, since ${info.state.startedAt})`;
}

/** What to do when registrator does not run on the cell. */
export function registratorHint(cellIp: string, runId: string): string {
  return `a container started while registrator is down is never registered, so the restore would wait for nothing: on ${cellIp}, as root, run \`/var/vcap/bosh/bin/monit start ${REGISTRATOR}\` and wait until \`monit summary\` says it is running (where monit does not run it: \`docker start ${REGISTRATOR}\` with the cell's docker), then resume: ${commandLine(['resume', runId])}`;
}
