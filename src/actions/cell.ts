/**
 * The new instance's container on its cell: inspect, stop, reset its etcd keys,
 * move its data aside, start it, wait for the restore, reconcile credentials.
 */
import { newCluster } from './support/params.js';
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import { StepFailed } from '../core/errors.js';
import type { EtcdKeys } from '../core/seams.js';
import type { StepContext } from '../engine/executor/index.js';
import { oneLine } from '../core/display.js';
import { quote } from '../core/command-line.js';
import { CellDocker } from '../adapters/docker.js';
import type { Redactor } from '../core/redact.js';
import { utcStamp } from '../core/utc-stamp.js';
import { failpoint } from '../core/failpoints.js';
import { describeLogin, loginChain } from '../adapters/postgres.js';
import { reconcilePasswords, psqlAs } from '../adapters/psql.js';
import { containerRoles } from '../adapters/container-roles.js';
import { listDir, moveContentsAside } from '../adapters/cell-files.js';
import { archivedSysid, containerArchiveUrl, sysidUrl } from './support/served.js';
import {
  bringContainerTo,
  cellDocker,
  containerState,
  inspectOrFail,
  oldSuperuser,
  probeContainerIs,
  restored,
  where,
} from './support/cell.js';
import { clearStoppedNodeKeys, keysOfNode, nodeKeysCleared, requireNoOtherLeader } from './support/stale-keys.js';

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
  summary: 'Stop the container so it stops archiving, then delete the etcd keys its killed Patroni leaves (its /leader and member key)',
  effect: 'destructive',
  params: { ...newCluster },
  outputs: {
    stopped: output('boolean', 'true once stopped and its own keys are gone'),
    staleKeys: output('string', 'what became of the /leader and member key the kill left (deleted, or already run out)'),
  },
  async evidence(ctx, p) {
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    return { container: `${p.container} (${info.id.slice(0, 12)}) on ${p.cellIp}`, PATRONI_SCOPE: info.env.PATRONI_SCOPE ?? '' };
  },
  async run(ctx, p) {
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const keys = keysOfNode(info, p.container);
    const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
    // Another node leading: stopping this one hands it the instance, and the restore would only join it.
    if (info.state.running) await requireNoOtherLeader(etcd, keys, p.container);
    await bringContainerTo(ctx, p, info, 'stopped');
    // A crash here leaves the container stopped and its keys standing: the probe sees both.
    failpoint('cell.stopped');
    const staleKeys = await clearStoppedNodeKeys(ctx, etcd, keys, p.container, 'after the stop');
    return { stopped: true, staleKeys };
  },
  async probe(ctx, p) {
    const state = await probeContainerIs(ctx, p, 'stopped', { stopped: true, staleKeys: 'none left: found gone on resume' });
    if (!state.done) return state;
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const keys = await nodeKeysCleared(await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort), keysOfNode(info, p.container));
    return keys.cleared
      ? { ...state, why: `${state.why}, and ${keys.why}` }
      : { done: false, why: `it is stopped, but ${keys.why}: its keys are deleted again` };
  },
});

/**
 * `/initialize` is set to the system identifier of the archive now at the container's prefix, not
 * deleted as the runbook does: a Dingo image's restore_leader_if_missing.sh re-seeds it from
 * sysids/sysid only when it is missing, and not every version does (dingotiles/dingo-postgresql-release
 * images/postgresql95-patroni/scripts/postgres/restore_leader_if_missing.sh: b05d1c1 re-seeds,
 * 1d353d3 only says "preparing patroni to restore…"). With no `/initialize`, no leader and an empty
 * /data, Patroni makes a new empty cluster (ha.py `bootstrap`), which archives over the copy; with it
 * set and no leader, it restores from wal-e ("trying to bootstrap (without leader)").
 */
const resetEtcd = defineAction({
  name: 'etcd.reset-keys',
  summary:
    "Set the instance's /initialize to the restored archive's system identifier and delete /optime/leader, so Patroni restores that database",
  effect: 'destructive',
  params: {
    ...newCluster,
    archiveUrl: required('string', "the container's own prefix, which now holds the old archive (its sysids/sysid)"),
  },
  outputs: {
    initialize: output('string', 'the system identifier /initialize now holds'),
    deleted: output('string[]', 'keys deleted'),
  },
  async evidence(ctx, p) {
    const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
    const facts: Record<string, string> = {};
    const sysid = await archivedSysid(ctx, p.archiveUrl, NO_SYSID);
    facts['/initialize to hold'] = `${sysid} (${sysidUrl(p.archiveUrl)})`;
    for (const [k, done] of [
      [initializeKey(p), sysid],
      [optimeKey(p), null],
    ] as const) {
      const value = await etcd.get(k);
      // Only a key not yet as the step leaves it is a fact to re-check: an interrupted attempt may already have set it.
      if (value === done) ctx.note(`etcd ${k} ${value === null ? 'is absent' : 'holds it already'}`);
      else facts[k] = value ?? '(absent)';
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
    const sysid = await archivedSysid(ctx, p.archiveUrl, NO_SYSID);
    const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
    await etcd.set(initializeKey(p), sysid);
    ctx.note(`etcd PUT ${initializeKey(p)} = ${sysid}`);
    const r = await etcd.delete(optimeKey(p));
    ctx.note(`etcd DELETE ${optimeKey(p)}: ${r}`);
    return { initialize: sysid, deleted: r === 'deleted' ? [optimeKey(p)] : [] };
  },
  safeToRepeat:
    'setting /initialize to the value it holds and deleting a key that is already gone are harmless, and the container cannot re-create the keys while it is stopped (the step refuses to run while it runs)',
});

const NO_SYSID = "/initialize cannot be set to the restored database's system identifier";
const initializeKey = (p: { instanceGuid: string }): string => `/service/${p.instanceGuid}/initialize`;
const optimeKey = (p: { instanceGuid: string }): string => `/service/${p.instanceGuid}/optime/leader`;

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
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    if (info.state.running) {
      throw new StepFailed(`container ${p.container} is not stopped; its data cannot be moved under it`, { hint: 'stop it, then resume' });
    }
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
  summary:
    "Start the container, once no /leader or member key of its own is left in etcd and /initialize holds the archive's system identifier; it restores from the archive now at its prefix",
  effect: 'write',
  params: {
    ...newCluster,
    archiveUrl: required('string', "the container's own prefix, which now holds the old archive (its sysids/sysid)"),
  },
  outputs: {
    started: output('boolean', 'docker start succeeded'),
    staleKeys: output('string', 'what became of a /leader or member key of its own found before the start'),
  },
  async run(ctx, p) {
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    let staleKeys = 'it was running already';
    if (!info.state.running) {
      // A key left by the kill (a resume long after, or a stop this run did not make) still stands in its way.
      const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
      staleKeys = await clearStoppedNodeKeys(ctx, etcd, keysOfNode(info, p.container), p.container, 'before the start');
      await requireInitialized(ctx, etcd, p);
    }
    await bringContainerTo(ctx, p, info, 'running');
    return { started: true, staleKeys };
  },
  probe: (ctx, p) => probeContainerIs(ctx, p, 'running', { started: true, staleKeys: 'checked before the start' }),
});

/**
 * `/initialize` as the reset left it, just before the start: set again when gone (a run journaled
 * before the reset set it, or a hand that deleted it), and the start refused when it holds another
 * system identifier: something wrote it since, such as the container itself, run again since the stop
 * (Docker starts a stopped container of restart policy `always` again when its daemon restarts).
 */
async function requireInitialized(
  ctx: StepContext,
  etcd: EtcdKeys,
  p: { instanceGuid: string; archiveUrl: string; container: string },
): Promise<void> {
  const sysid = await archivedSysid(ctx, p.archiveUrl, NO_SYSID);
  const key = initializeKey(p);
  const value = await etcd.get(key);
  if (value === sysid) return;
  if (value === null) {
    await etcd.set(key, sysid);
    ctx.note(`before the start: ${key} was gone; set again to ${sysid}, the archive's (${sysidUrl(p.archiveUrl)})`);
    return;
  }
  throw new StepFailed(
    `etcd's ${key} holds ${oneLine(value)}, not the restored archive's ${sysid}: something wrote it since the reset, such as ${p.container} run again since the stop (Docker restarts a stopped container of policy always when its daemon restarts)`,
    {
      hint: `nothing was started. Check \`${quote(['docker', 'inspect', p.container])}\` (State.StartedAt) and that the archive at ${p.archiveUrl} is still the copy (dingo-recover archive verify); then set ${key} to ${sysid} and resume`,
    },
  );
}

const reconcile = defineAction({
  name: 'cell.reconcile-credentials',
  summary: "Give the restored roles the new instance's passwords (the broker hands those out on bind)",
  effect: 'write',
  params: { ...restored },
  outputs: { roles: output('string[]', 'roles whose passwords were set') },
  safeToRepeat: 'setting a password to the value it already has is harmless',
  async run(ctx, p) {
    const docker = await cellDocker(ctx, p.cellIp);
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const roles = containerRoles(info.env, ctx.runtime.redactor);
    if (roles.length === 0)
      throw new StepFailed(`container ${p.container} names none of its roles' passwords in its environment`, {
        hint: "set the restored roles' passwords to those the broker hands out on bind (cf service-key), then resume",
      });
    ctx.evidence(`the roles the broker hands out on bind, from ${roles[0]!.from}: ${roles.map((r) => r.role).join(', ')}`);
    const known = await oldSuperuser(ctx, info, p.oldInstanceGuid);
    const login = await reconcilePasswords(docker, p.container, roles, loginChain(info, ctx.runtime.redactor, known));
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
    const roles = containerRoles(info.env, ctx.runtime.redactor);
    if (roles.length === 0) return { done: false, why: `container ${p.container} names none of its roles' passwords in its environment` };
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
    { mode: 'query', sql: LOGIN_CHECK_QUERY, writes: false, catalogOnly: true },
  );
  const out = result.stdout.trim();
  if (result.exitCode === 0 && out === r.role) return true;
  const said = redactor.redact(result.stderr.trim().split('\n')[0] ?? '') || (out ? `answered ${JSON.stringify(out.slice(0, 80))}` : '');
  return `psql exit ${result.exitCode}${said ? `: ${said}` : ''}`;
}

export const cellActions: ActionDef[] = [inspectContainer, stop, resetEtcd, moveDataAside, start, reconcile];
