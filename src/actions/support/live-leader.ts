/**
 * The live leader a merge reads and writes: the container find-instance found, checked to serve the
 * instance and not to be a replica, logged into as the role apps bind with (never a superuser, whose
 * session would run the tenant's triggers with every right).
 */
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { loginChain, requireAppLogin } from '../../adapters/postgres.js';
import { isInRecovery } from '../../adapters/postgres-readiness.js';
import { liveLines, liveQuery } from '../../adapters/pg-merge.js';
import { cellDocker } from './cell.js';

/** The live leader: its container checked to serve the instance and not to be a replica, its logins and the role apps bind with. */
export async function liveLeader(ctx: StepContext, p: { cellIp: string; container: string; instanceGuid: string }) {
  const docker = await cellDocker(ctx, p.cellIp);
  const info = await docker.inspect(p.container);
  if (!info || info.env.PATRONI_SCOPE !== p.instanceGuid) {
    throw new StepFailed(`container ${p.container} on ${p.cellIp} does not serve the instance ${p.instanceGuid}`, {
      hint: 'nothing was changed; the live instance is read through the container find-instance found: check it runs, then resume',
    });
  }
  const apps = requireAppLogin(
    info,
    docker.redactor,
    p.container,
    'to run the merge as',
    "nothing was changed; the merge never runs the tenant's triggers as a superuser: take the rows from the dumps by hand",
  );
  const chain = loginChain(info, docker.redactor);
  if (await isInRecovery(docker, p.container, chain)) {
    throw new StepFailed(`${p.container} is a replica (pg_is_in_recovery() = t): the patch is applied on the leader`, {
      hint: 'nothing was changed; the merge reads and writes the leader, and the container find-instance found is not it: start again once that node leads (patronictl list shows which does), or take the rows from the dumps',
    });
  }
  const side = { query: liveQuery(docker, p.container, apps), lines: liveLines(docker, p.container, apps) };
  return { docker, apps, side };
}
