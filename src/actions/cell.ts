/**
 * The new instance's container on its cell: inspect, stop, reset its etcd keys,
 * move its data aside, start it, wait for the restore, reconcile credentials.
 */
import { containerOn, newCluster } from './support/params.js';
import { defineAction, type ActionDef, optional, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { StepFailed } from '../core/errors.js';
import { CellDocker, type ContainerInfo } from '../adapters/docker.js';
import type { Redactor } from '../core/redact.js';
import { utcStamp } from '../core/utc-stamp.js';
import { describeLogin, waitUntilPromoted, reconcilePasswords, psqlAs, type PgLogin } from '../adapters/postgres.js';
import { FIRST_POLL_MS, pollDelays } from '../adapters/cf/index.js';
import { listDir, moveContentsAside } from '../adapters/cell-files.js';
import { recordedSuperuser } from '../logs/clusterdata.js';
import { clusterdataOf } from './support/sources.js';
import { containerArchiveUrl, requireServesArchive } from './support/served.js';
import { bringContainerTo, cellDocker, containerState, describeRestorePoll, probeContainerIs } from './support/cell.js';

async function inspectOrFail(ctx: StepContext, cellIp: string, container: string) {
  const info = await (await cellDocker(ctx, cellIp)).inspect(container);
  if (!info) {
    throw new StepFailed(`no container ${container} on cell ${cellIp}`, {
      hint: 'the logs or bosh may point at the wrong cell; check `docker ps` on the cells of the Dingo deployment',
    });
  }
  return info;
}

const where = containerOn('cell IP', 'container name (cf-<node-uuid>)');

/** Where the restored database lives, and whose archive it holds (for that instance's recorded credentials). */
const restored = {
  ...where,
  oldInstanceGuid: optional('string', 'the deleted instance, whose clusterdata record holds the restored superuser'),
} as const;

const inspectContainer = defineAction({
  name: 'cell.inspect-container',
  summary: "Read the container's state, environment and data directory (and check it belongs to the instance)",
  effect: 'read',
  params: { ...where, instanceGuid: required('string', 'instance the container must serve (PATRONI_SCOPE)') },
  outputs: {
    running: output('boolean', 'container running'),
    dataDir: output('string', "host folder of the container's /data mount"),
    etcdHostPort: output('string', 'ETCD_HOST_PORT from the container environment'),
    walBucket: output('string', 'WAL_S3_BUCKET from the container environment'),
    archiveUrl: output('string', "the instance's wal-e prefix, from its environment: s3://WAL_S3_BUCKET/backups/PATRONI_SCOPE/wal/"),
  },
  async run(ctx, p) {
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const scope = info.env.PATRONI_SCOPE;
    if (scope !== p.instanceGuid) {
      throw new StepFailed(`container ${p.container} serves instance ${scope ?? '(no PATRONI_SCOPE)'}, not ${p.instanceGuid}`, {
        hint: "this is not the new instance's container; nothing was changed. Check the logs evidence above",
      });
    }
    if (!info.dataDir)
      throw new StepFailed(`container ${p.container} has no /data mount`, { hint: 'this does not look like a Dingo patroni container' });
    const archiveUrl = containerArchiveUrl(info, p.container);
    ctx.evidence(`${p.container}: PATRONI_SCOPE=${scope}, ${info.state.running ? 'running' : 'stopped'}, /data → ${info.dataDir}`);
    ctx.evidence(`${p.container} archives to ${archiveUrl} (WAL_S3_BUCKET and PATRONI_SCOPE of its environment)`);
    return {
      running: info.state.running,
      dataDir: info.dataDir,
      etcdHostPort: info.env.ETCD_HOST_PORT ?? '',
      walBucket: info.env.WAL_S3_BUCKET ?? '',
      archiveUrl,
    };
  },
});

const stop = defineAction({
  name: 'cell.stop-container',
  summary: 'Stop the container so it stops archiving',
  effect: 'destructive',
  params: { ...where, instanceGuid: required('string', 'instance GUID') },
  outputs: { stopped: output('boolean', 'true once stopped') },
  async evidence(ctx, p) {
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    return { container: `${p.container} (${info.id.slice(0, 12)}) on ${p.cellIp}`, PATRONI_SCOPE: info.env.PATRONI_SCOPE ?? '' };
  },
  async run(ctx, p) {
    await bringContainerTo(ctx, p, 'stopped');
    return { stopped: true };
  },
  probe: (ctx, p) => probeContainerIs(ctx, p, 'stopped', { stopped: true }),
});

const resetEtcd = defineAction({
  name: 'etcd.reset-keys',
  summary: "Delete the instance's /initialize and /optime/leader keys so Patroni accepts the restored system identifier",
  effect: 'destructive',
  params: {
    ...newCluster,
  },
  outputs: { deleted: output('string[]', 'keys deleted') },
  async evidence(ctx, p) {
    const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
    const facts: Record<string, string> = {};
    for (const k of keys(p)) {
      const value = await etcd.get(k);
      // Only a present key is a fact to re-check: an interrupted attempt may already have deleted it.
      if (value === null) ctx.note(`etcd ${k} is absent: nothing to delete`);
      else facts[k] = value;
    }
    facts.container = `${p.container} is ${await containerState(ctx, p.cellIp, p.container)}`;
    return facts;
  },
  async run(ctx, p) {
    if ((await containerState(ctx, p.cellIp, p.container)) === 'running') {
      throw new StepFailed(`container ${p.container} is running; resetting its etcd keys now would not help and could confuse Patroni`, {
        hint: 'stop the container, then resume',
      });
    }
    const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
    const deleted: string[] = [];
    for (const k of keys(p)) {
      const r = await etcd.delete(k);
      ctx.note(`etcd DELETE ${k}: ${r}`);
      if (r === 'deleted') deleted.push(k);
    }
    return { deleted };
  },
  safeToRepeat:
    'deleting a key that is already gone is harmless, and the container cannot re-create the keys while it is stopped (the step refuses to run while it runs)',
});

function keys(p: { instanceGuid: string }): string[] {
  return [`/service/${p.instanceGuid}/initialize`, `/service/${p.instanceGuid}/optime/leader`];
}

const moveDataAside = defineAction({
  name: 'cell.move-data-aside',
  summary: "Move the container's local data aside (never deleted) so it restores from the archive",
  effect: 'destructive',
  params: { ...where, dataDir: required('string', "host folder of the container's /data") },
  outputs: { asideDir: output('string', 'where the old contents now are') },
  async evidence(ctx, p) {
    const entries = await listDir(await ctx.cell(p.cellIp), p.dataDir, { redactor: ctx.runtime.redactor });
    return { dataDir: p.dataDir, entries: entries === null ? '(missing)' : entries.join(', ') || '(empty)' };
  },
  prepare(ctx, p) {
    return { asideDir: `${p.dataDir.replace(/\/$/, '')}.moved-aside-${utcStamp(ctx.now())}` };
  },
  async run(ctx, p, plan) {
    if ((await containerState(ctx, p.cellIp, p.container)) !== 'stopped') {
      throw new StepFailed(`container ${p.container} is not stopped; its data cannot be moved under it`, { hint: 'stop it, then resume' });
    }
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    if (info.dataDir !== p.dataDir) {
      throw new StepFailed(`${p.dataDir} is not the /data mount of ${p.container} (that is ${info.dataDir})`, {
        hint: 'nothing was moved; check the container',
      });
    }
    const session = await ctx.cell(p.cellIp);
    await moveContentsAside(session, p.dataDir, plan.asideDir, { root: ctx.settings.containerStoreRoot, redactor: ctx.runtime.redactor });
    const left = await listDir(session, p.dataDir, { redactor: ctx.runtime.redactor });
    if (left && left.length)
      throw new StepFailed(`${p.dataDir} still holds ${left.join(', ')} after the move`, { hint: 'look on the cell, then resume' });
    ctx.note(`the new instance's local data is kept at ${plan.asideDir} on ${p.cellIp}`);
    return { asideDir: plan.asideDir };
  },
  async probe(ctx, p, plan) {
    const session = await ctx.cell(p.cellIp);
    const left = await listDir(session, p.dataDir, { redactor: ctx.runtime.redactor });
    const aside = await listDir(session, plan.asideDir, { redactor: ctx.runtime.redactor });
    if ((left === null || left.length === 0) && aside !== null)
      return { done: true, outputs: { asideDir: plan.asideDir }, why: `${p.dataDir} is empty and ${plan.asideDir} exists` };
    return { done: false, why: `${p.dataDir} still holds ${left?.join(', ') ?? 'nothing'}; moving the rest is safe` };
  },
});

const start = defineAction({
  name: 'cell.start-container',
  summary: 'Start the container; it restores from the archive now at its prefix',
  effect: 'write',
  params: where,
  outputs: { started: output('boolean', 'docker start succeeded') },
  async run(ctx, p) {
    await bringContainerTo(ctx, p, 'running');
    return { started: true };
  },
  probe: (ctx, p) => probeContainerIs(ctx, p, 'running', { started: true }),
});

const waitRestored = defineAction({
  name: 'cell.wait-restored',
  summary: 'Wait until PostgreSQL has replayed the archive and left recovery',
  effect: 'read',
  params: {
    ...restored,
    lastSegment: optional('string', 'the old archive\'s last WAL segment: progress reads "WAL segment X of Y"'),
    archiveUrl: required('string', "the deleted instance's archive: the served database must hold its system identifier (sysids/sysid)"),
  },
  outputs: {
    promoted: output('boolean', 'pg_is_in_recovery() = f'),
    systemIdentifier: output('string', "the system identifier of the database served, the restored archive's"),
  },
  async run(ctx, p) {
    const docker = await cellDocker(ctx, p.cellIp);
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const deadlineMs = ctx.settings.restoreDeadlineMs;
    const pauses = pollDelays(ctx.settings.restorePollMs);
    const knownLogins = await oldSuperuser(ctx, info, p.oldInstanceGuid);
    // The wait's clock: real time, or the pauses taken when they add up to more (a rehearsal's sleep takes no time).
    const clock = (): number => ctx.now().getTime();
    const startedAt = clock();
    let paused = 0;
    const elapsed = (): number => Math.max(clock() - startedAt, paused);
    const { login } = await waitUntilPromoted(docker, p.container, {
      knownLogins,
      deadlineMs,
      // The shortest pause, so no pause is skipped for the deadline's sake; each pause taken is the
      // schedule's next one (1 s, growing to the configured interval), cut short at the deadline.
      intervalMs: Math.min(FIRST_POLL_MS, ctx.settings.restorePollMs),
      now: () => startedAt + elapsed(),
      sleep: async () => {
        const ms = Math.max(0, Math.min(pauses.next().value, deadlineMs - elapsed()));
        await ctx.sleep(ms);
        paused += ms;
      },
      onPoll: (poll) => {
        ctx.progress(describeRestorePoll(poll, p.lastSegment));
      },
    });
    ctx.evidence(`${p.container}: State.Running=true, pg_isready exit 0, pg_is_in_recovery() = f (asked as ${describeLogin(login)})`);
    const sysid = await requireServesArchive(ctx, docker, p.container, p.archiveUrl);
    return { promoted: true, systemIdentifier: sysid };
  },
});

const reconcile = defineAction({
  name: 'cell.reconcile-credentials',
  summary: "Give the restored roles the new instance's passwords (the broker hands those out on bind)",
  effect: 'write',
  params: restored,
  outputs: { roles: output('string[]', 'roles whose passwords were set') },
  safeToRepeat: 'setting a password to the value it already has is harmless',
  async run(ctx, p) {
    const docker = await cellDocker(ctx, p.cellIp);
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const roles = newCredentials(info);
    if (roles.length === 0)
      throw new StepFailed(`container ${p.container} has no *_USERNAME/*_PASSWORD in its environment`, {
        hint: 'an old broker? set the passwords by hand, then resume',
      });
    const login = await reconcilePasswords(docker, p.container, roles, {
      knownLogins: await oldSuperuser(ctx, info, p.oldInstanceGuid),
    });
    if (login)
      ctx.evidence(`set the passwords of ${roles.map((r) => r.role).join(', ')} in one transaction, logged in as ${describeLogin(login)}`);
    return { roles: roles.map((r) => r.role) };
  },
  /** Done when every role logs in with the password the broker hands out (the container's environment). */
  async probe(ctx, p) {
    const docker = await cellDocker(ctx, p.cellIp);
    const info = await docker.inspect(p.container);
    if (!info) return { done: false, why: `no container ${p.container} on cell ${p.cellIp}` };
    if (!info.state.running) return { done: false, why: `container ${p.container} is not running, so no login can be tried` };
    const roles = newCredentials(info);
    if (roles.length === 0) return { done: false, why: `container ${p.container} has no *_USERNAME/*_PASSWORD in its environment` };
    const refused: string[] = [];
    for (const r of roles) {
      const answer = await logsInWith(docker, p.container, r, ctx.runtime.redactor);
      if (answer !== true) refused.push(`${r.role} (${answer})`);
    }
    const names = roles.map((r) => r.role).join(', ');
    if (refused.length === 0)
      return { done: true, outputs: { roles: roles.map((r) => r.role) }, why: `${names} each log in with the new instance's password` };
    return { done: false, why: `not every role logs in with the new instance's password yet: ${refused.join('; ')}` };
  },
});

/** The roles and passwords the broker hands out on bind: the new container's *_USERNAME/*_PASSWORD. */
function newCredentials(info: ContainerInfo): { role: string; password: string }[] {
  return (['ADMIN', 'SUPERUSER', 'APPUSER'] as const)
    .map((k) => ({ role: info.env[`${k}_USERNAME`] ?? '', password: info.env[`${k}_PASSWORD`] ?? '' }))
    .filter((r) => r.role && r.password);
}

/** The query a login check runs: it answers with the role the session logged in as. */
const LOGIN_CHECK_QUERY = 'select current_user';

/** Whether ROLE logs in with PASSWORD over TCP (true), else what psql said. Reads only. */
async function logsInWith(
  docker: CellDocker,
  container: string,
  r: { role: string; password: string },
  redactor: Redactor,
): Promise<true | string> {
  redactor.register(r.password);
  // The roles include the superuser: the session's search_path is pg_catalog alone.
  const result = await psqlAs(
    docker,
    container,
    { user: r.role, password: r.password },
    {
      args: ['-tAc', LOGIN_CHECK_QUERY],
      input: '',
      writes: false,
      catalogOnly: true,
    },
  );
  const out = result.stdout.trim();
  if (result.exitCode === 0 && out === r.role) return true;
  const said = redactor.redact(result.stderr.trim().split('\n')[0] ?? '') || (out ? `answered ${JSON.stringify(out.slice(0, 80))}` : '');
  return `psql exit ${result.exitCode}${said ? `: ${said}` : ''}`;
}

/**
 * Logins the restored database may still accept: the deleted instance's superuser as the
 * broker recorded it in the clusterdata bucket (--clusterdata), and as the operator gives it
 * (answers file `secrets.oldSuperuserPassword`, or DINGO_OLD_SUPERUSER_PASSWORD; its name is
 * the new container's SUPERUSER_USERNAME unless `secrets.oldSuperuserUsername` says otherwise).
 */
async function oldSuperuser(ctx: StepContext, info: ContainerInfo, oldInstanceGuid: string | undefined): Promise<PgLogin[]> {
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

export const cellActions: ActionDef[] = [inspectContainer, stop, resetEtcd, moveDataAside, start, waitRestored, reconcile];
