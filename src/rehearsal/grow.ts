/**
 * What the simulated Dingo broker does when an update asks for more nodes (`node-count`): it
 * schedules a container per missing node, preferring cells the cluster is not on yet. Each new
 * node finds a leader in etcd, skips restore_leader_if_missing and clones with wal-e from the
 * instance's archive (pg_basebackup from the leader when the archive has no base backup), then
 * streams from the leader, which only works when both hold the same system identifier. The broker
 * never removes nodes (Dingo's known issue: do not downsize).
 */
import { createHash } from 'node:crypto';
import type { CfServiceInstance } from './cf/index.js';
import type { CellWorld, SimContainer } from './cell-sim.js';
import { envOf } from './cell-world.js';
import { archivedSysid } from './memory-store.js';
import type { SimWorld } from './world-state.js';

function hashHex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

function uuidFrom(seed: string): string {
  const h = hashHex(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Leader {
  cellIp: string;
  container: SimContainer;
}

function leaderOf(world: SimWorld, guid: string): Leader | null {
  const leaderNode = world.state.etcd[`/service/${guid}/leader`];
  for (const [cellIp, cell] of Object.entries(world.state.cells)) {
    for (const c of Object.values(cell.containers)) {
      const env = envOf(c);
      if (env.PATRONI_SCOPE === guid && c.running && !c.pg.inRecovery && (leaderNode === undefined || env.NODE_ID === leaderNode)) {
        return { cellIp, container: c };
      }
    }
  }
  return null;
}

/** The system identifier a new node clones: the archive's (wal-e backup-fetch), else the leader's (pg_basebackup). */
function clonedSysid(world: SimWorld, env: Record<string, string>, leaderSysid: string | undefined): { sysid?: string; how: string } {
  const bucket = world.state.s3[env.WAL_S3_BUCKET ?? ''] ?? {};
  const prefix = `backups/${env.PATRONI_SCOPE ?? ''}/wal/`;
  const hasBase = Object.keys(bucket).some((k) => k.startsWith(prefix) && k.endsWith('_backup_stop_sentinel.json'));
  const archived = archivedSysid(bucket, prefix);
  if (hasBase && archived) return { sysid: archived, how: 'wal_e: backup-fetch /data/postgres0 LATEST' };
  return { ...(leaderSysid === undefined ? {} : { sysid: leaderSysid }), how: 'no wal-e backup: pg_basebackup from the leader' };
}

/** Cells for new nodes: those the cluster is not on yet first, then the leader's. */
function cellsFor(world: SimWorld, leaderIp: string, count: number): string[] {
  const others = Object.keys(world.state.cells)
    .filter((ip) => ip !== leaderIp)
    .sort();
  const order = [...others, leaderIp];
  return Array.from({ length: count }, (_, i) => order[i % order.length]!);
}

/**
 * Grows the instance's cluster to `nodes` nodes; returns a failure description when the broker
 * cannot (no running leader), which ends the update failed.
 */
export function growCluster(world: SimWorld, instance: Pick<CfServiceInstance, 'guid'>, nodes: number): string | undefined {
  const leader = leaderOf(world, instance.guid);
  if (!leader) {
    world.record('broker', `update of ${instance.guid} failed: no running leader to clone new nodes from`);
    return 'cluster has no running leader to add nodes to';
  }
  const replicas = (leader.container.pg.replicas ??= []);
  const missing = nodes - 1 - replicas.length;
  if (missing <= 0) {
    world.record('broker', `update of ${instance.guid}: already ${replicas.length + 1} node(s), nothing to add`);
    return undefined;
  }
  const leaderEnv = envOf(leader.container);
  for (const [n, cellIp] of cellsFor(world, leader.cellIp, missing).entries()) {
    const index = replicas.length + 1 + n;
    const nodeUuid = uuidFrom(`${instance.guid}/node/${index}`);
    const name = `cf-${nodeUuid}`;
    const cell: CellWorld = world.state.cells[cellIp]!;
    const dataDir = `/var/vcap/store/cf-containers-broker/${name}/data`;
    const clone = clonedSysid(world, leaderEnv, leader.container.pg.sysid);
    const streams = clone.sysid !== undefined && clone.sysid === leader.container.pg.sysid;
    const now = world.tick(5000).toISOString();
    cell.containers[name] = {
      id: hashHex(`${name}/id`),
      name,
      image: leader.container.image,
      env: leader.container.env.map((e) => (e.startsWith('NODE_ID=') ? `NODE_ID=${nodeUuid}` : e)),
      mounts: [{ Source: dataDir, Destination: '/data', Mode: '', RW: true }],
      running: streams,
      exitCode: streams ? 0 : 1,
      startedAt: now,
      finishedAt: streams ? '0001-01-01T00:00:00Z' : now,
      logs: [],
      pg: {
        ready: streams,
        inRecovery: true,
        pollsUntilPromoted: 0,
        roles: { ...leader.container.pg.roles },
        ...(clone.sysid === undefined ? {} : { sysid: clone.sysid }),
      },
    };
    cell.files[dataDir] = ['postgres0', 'wal-e'];
    if (clone.sysid !== undefined) world.state.serving[name] = clone.sysid;
    const tag = instance.guid.slice(0, 6);
    const host = world.state.cellHosts[cellIp] ?? cellIp;
    world.syslog(host, 'cf-containers-broker.log', [`Creating Docker container \`${name}'...`, `Starting Docker container \`${name}'...`]);
    if (streams) {
      replicas.push({ applicationName: nodeUuid, clientAddr: cellIp, state: 'streaming' });
      world.state.etcd[`/service/${instance.guid}/members/${nodeUuid}`] = JSON.stringify({
        conn_url: `postgres://replicator@${cellIp}:5432/postgres`,
        role: 'replica',
      });
      world.syslog(host, `docker/${name}`, [`${tag}-patroni> ${clone.how}`, `${tag}-patroni> started as a secondary`]);
      world.record('broker', `added ${name} on ${cellIp} to ${instance.guid}: cloned sysid ${clone.sysid ?? '?'} and streams`);
    } else {
      world.syslog(host, `docker/${name}`, [
        `${tag}-patroni> ${clone.how}`,
        `${tag}-patroni> FATAL: database system identifier differs between the primary and standby`,
      ]);
      world.record(
        'broker',
        `added ${name} on ${cellIp} to ${instance.guid}: its clone (sysid ${clone.sysid ?? '?'}) cannot stream from the leader`,
      );
    }
  }
  return undefined;
}

/** The node count an update's parameters ask for, if any. */
export function requestedNodes(parameters: Record<string, unknown>): number | undefined {
  const n = parameters['node-count'] ?? parameters.cells;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  if (Array.isArray(n)) return n.length;
  return undefined;
}
