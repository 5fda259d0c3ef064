/**
 * What a Dingo patroni container does when it starts (IMG start_pg.sh and
 * restore_leader_if_missing.sh, Patroni v0.90): with data in /data it simply resumes
 * that database; with an empty /data, no leader in etcd and backups in its wal-e
 * prefix, it re-seeds /initialize from sysids/sysid and restores LATEST, unless etcd
 * still holds another system identifier, in which case Patroni exits.
 */
import type { SimWorld } from './world-state.js';
import type { SimContainer } from './cell-world.js';
import { withoutKeys } from './json-state.js';

function envOf(c: SimContainer): Record<string, string> {
  return Object.fromEntries(c.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

export function restoreOnStart(world: SimWorld, cellIp: string, c: SimContainer): void {
  const env = envOf(c);
  const scope = env.PATRONI_SCOPE ?? '';
  const tag = scope.slice(0, 6);
  const cell = world.state.cells[cellIp]!;
  const dataDir = c.mounts.find((m) => m.Destination === '/data')?.Source ?? '';
  const say = (line: string): void => {
    c.logs.push(line);
    world.syslog(world.state.cellHosts[cellIp] ?? cellIp, `docker/${c.name}`, [line]);
  };
  world.record('docker', `${cellIp}: started ${c.name}`);

  if ((cell.files[dataDir] ?? []).length > 0) {
    say(`${tag}-patroni> starting PostgreSQL from the existing data directory ${dataDir.replace(/.*\/data$/, '/data')}`);
    c.pg = { ...c.pg, ready: true, inRecovery: false, pollsUntilPromoted: 0 };
    return;
  }
  const bucket = world.state.s3[env.WAL_S3_BUCKET ?? ''] ?? {};
  const prefix = `backups/${scope}/wal/`;
  const sentinels = Object.keys(bucket).filter((k) => k.startsWith(prefix) && k.endsWith('_backup_stop_sentinel.json'));
  const archivedSysid = bucket[`${prefix}sysids/sysid`]?.body?.trim();
  const leader = world.state.etcd[`/service/${scope}/leader`];
  const initKey = `/service/${scope}/initialize`;

  if (leader || sentinels.length === 0 || !archivedSysid) {
    say(`${tag}-patroni> no backups to restore from; initializing a new cluster`);
    c.pg = { ...c.pg, ready: true, inRecovery: false, pollsUntilPromoted: 0 };
    cell.files[dataDir] = ['postgres0'];
    return;
  }
  if (!(initKey in world.state.etcd)) {
    say(`${tag}-restore_leader_if_missing> preparing patroni to restore this container from wal-e backups`);
    world.state.etcd[initKey] = archivedSysid;
  }
  if (world.state.etcd[initKey] !== archivedSysid) {
    say(
      `${tag}-patroni> system ID mismatch, node ${c.name} belongs to a different cluster: ${archivedSysid} != ${world.state.etcd[initKey]}`,
    );
    c.running = false;
    c.exitCode = 1;
    c.pg = { ...c.pg, ready: false, inRecovery: false, pollsUntilPromoted: 0 };
    return;
  }
  say(`${tag}-patroni> trying to bootstrap (without leader)`);
  say(`${tag}-patroni> wal_e: backup-fetch /data/postgres0 LATEST`);
  cell.files[dataDir] = ['postgres0', 'wal-e'];
  const restored = world.state.databases[archivedSysid];
  world.state.serving[c.name] = archivedSysid;
  // Patroni forces hot_standby: the node accepts read-only connections while it replays.
  c.pg = { ready: true, inRecovery: true, pollsUntilPromoted: 3, roles: { ...(restored?.roles ?? {}) }, sysid: archivedSysid };
  world.state.etcd[`/service/${scope}/leader`] = env.NODE_ID ?? c.name;
  world.record('patroni', `${c.name} restores the archive with system identifier ${archivedSysid}`);
}

/** A stopped container stops renewing its etcd leader key and membership; their TTLs expire. */
export function stopOnCell(world: SimWorld, cellIp: string, c: SimContainer): void {
  const env = envOf(c);
  const scope = env.PATRONI_SCOPE ?? '';
  const leader = `/service/${scope}/leader`;
  const expired = [`/service/${scope}/members/${env.NODE_ID ?? ''}`];
  if (world.state.etcd[leader] === (env.NODE_ID ?? c.name)) expired.push(leader);
  world.state.etcd = withoutKeys(world.state.etcd, expired);
  world.record('docker', `${cellIp}: stopped ${c.name}`);
}
