/**
 * What a Dingo patroni container does when it starts and when it dies (IMG start_pg.sh and
 * restore_leader_if_missing.sh, Patroni v0.90 ha.py and etcd.py), against the world's etcd and S3:
 *
 * - With data in /data it resumes that database.
 * - restore_leader_if_missing.sh runs only when etcd has no `/service/<scope>/leader`: while a leader
 *   key stands (a node killed by `docker stop` leaves its own for up to 30 s) it says "leader exists,
 *   no additional preparation required for container to join cluster", and Patroni finds the cluster
 *   locked: it tries to bootstrap from that leader, which is gone, so the node never serves. When the
 *   key runs out, Patroni's next cycle finds the cluster unlocked: with `/initialize` deleted it
 *   bootstraps a NEW empty cluster (ha.py `bootstrap`: initdb and start within the cycle, then only
 *   "initialized a new cluster", PostgreSQL already serving), whose sysid and base backup then go
 *   to its wal-e prefix, where the old archive was copied.
 * - With no leader, an empty /data, backups in its prefix and `/initialize` set, it restores LATEST
 *   ("trying to bootstrap (without leader)"); when `/initialize` holds another system identifier,
 *   Patroni fetches the backup, then exits ("system ID mismatch"), and the restart policy (`always`)
 *   starts it again and again: a crash loop. Without `/initialize` the script says it prepares the
 *   restore and writes nothing, as dingo-postgresql-release's 1d353d3 does
 *   (images/postgresql95-patroni/scripts/postgres/restore_leader_if_missing.sh; b05d1c1 re-seeds
 *   it from sysids/sysid, a kinder image the simulation does not take): Patroni finds the cluster
 *   uninitialized and bootstraps a new empty one.
 * - Killed, it leaves its leader and member keys to their TTL: 30 s after the last refresh, which it
 *   made every 10 s since it started (run.sh's ttl and loop_wait).
 */
import { createHash } from 'node:crypto';
import type { SimWorld } from './world-state.js';
import { envOf, logLine, type SimContainer } from './cell-world.js';
import { PATRONI_LOOP_WAIT_SECONDS, PATRONI_TTL_SECONDS, nodeKeys, patroniMemberName } from '../adapters/patroni-keys.js';
import { replayOfArchive, RESTORE_POLLS, type RestoringPg } from './restore-replay.js';
import { setKey } from './world-etcd.js';
import { crashLoopFrom } from './crash-loop.js';
import { archivedSysid } from './memory-store.js';
import { formatSegment, nextSegment, parseSegment, segmentRange } from '../wale/segments.js';
import {
  LEADER_EXISTS,
  LOCAL_DATABASE,
  NO_BACKUP,
  PREPARING_RESTORE,
  partitionLines,
  patroniSays,
  restoreLeaderSays,
  walFetchRunLines,
} from './patroni-lines.js';

/** A container's node: its scope, member name, and where it writes and archives. */
function nodeOf(world: SimWorld, cellIp: string, c: SimContainer) {
  const env = envOf(c);
  const scope = env.PATRONI_SCOPE ?? '';
  const member = patroniMemberName(env) ?? c.name;
  const bucketName = env.WAL_S3_BUCKET ?? '';
  const cell = world.state.cells[cellIp]!;
  return {
    scope,
    member,
    keys: nodeKeys(scope, member),
    tag: scope.slice(0, 6),
    cell,
    dataDir: c.mounts.find((m) => m.Destination === '/data')?.Source ?? '',
    bucketName,
    bucket: (world.state.s3[bucketName] ??= {}),
    prefix: `backups/${scope}/wal/`,
    /** Writes a line to the container's output and, through the cell's syslog driver, to the platform's syslog. */
    say: (...lines: string[]): void => {
      for (const line of lines) {
        logLine(c, new Date(world.state.clock), line);
        world.syslog(world.state.cellHosts[cellIp] ?? cellIp, `docker/${c.name}`, [line]);
      }
    },
  };
}
type Node = ReturnType<typeof nodeOf>;

export function restoreOnStart(world: SimWorld, cellIp: string, c: SimContainer): void {
  const n = nodeOf(world, cellIp, c);
  world.record('docker', `${cellIp}: started ${c.name}`);
  const leader = world.state.etcd[n.keys.leaderKey];
  if ((n.cell.files[n.dataDir] ?? []).length > 0) {
    // The script looks for a leader first, then for a local database; either way Patroni starts the data it finds.
    n.say(restoreLeaderSays(n.tag, leader === undefined ? LOCAL_DATABASE : LEADER_EXISTS));
    c.pg = { ...c.pg, ready: true, inRecovery: false, pollsUntilPromoted: 0 };
    return;
  }
  if (leader !== undefined) {
    n.say(restoreLeaderSays(n.tag, LEADER_EXISTS), patroniSays(n.tag, now(world), `trying to bootstrap from leader '${leader}'`));
    c.pg = { ...c.pg, ready: false, inRecovery: false, pollsUntilPromoted: 0 };
    c.patroni = 'waiting-for-leader';
    world.record('patroni', `${c.name} waits to join the leader ${leader} its etcd key names`);
    return;
  }
  const sentinels = Object.keys(n.bucket).filter((k) => k.startsWith(n.prefix) && k.endsWith('_backup_stop_sentinel.json'));
  const archived = archivedSysid(n.bucket, n.prefix);
  if (sentinels.length === 0 || !archived) {
    n.say(restoreLeaderSays(n.tag, NO_BACKUP));
    bootstrapNewCluster(world, n, c);
    return;
  }
  n.say(restoreLeaderSays(n.tag, PREPARING_RESTORE));
  if (!(`/service/${n.scope}/initialize` in world.state.etcd)) bootstrapNewCluster(world, n, c);
  else bootstrapWithoutLeader(world, n, c, archived);
}

/** `trying to bootstrap (without leader)`: wal-e fetches LATEST; then the node restores, or exits on a sysid etcd does not hold. */
function bootstrapWithoutLeader(world: SimWorld, n: Node, c: SimContainer, archivedSysid: string): void {
  n.say(patroniSays(n.tag, now(world), 'trying to bootstrap (without leader)'));
  const parts = Object.keys(n.bucket)
    .filter((k) => k.startsWith(n.prefix) && k.includes('/tar_partitions/part_'))
    .sort();
  for (const key of parts) n.say(...partitionLines(n.tag, now(world), key));
  n.cell.files[n.dataDir] = ['postgres0', 'wal-e'];
  const initialized = world.state.etcd[`/service/${n.scope}/initialize`];
  if (initialized !== archivedSysid) {
    n.say(
      patroniSays(
        n.tag,
        now(world),
        `system ID mismatch, node ${n.member} belongs to a different cluster: ${initialized ?? ''} != ${archivedSysid}`,
        'CRITICAL',
      ),
    );
    c.pg = { ...c.pg, ready: false, inRecovery: false, pollsUntilPromoted: 0 };
    c.crashLoop = crashLoopFrom(now(world));
    world.record('patroni', `${c.name} exits at each start: etcd holds system identifier ${initialized ?? ''}, its data ${archivedSysid}`);
    return;
  }
  const restored = world.state.databases[archivedSysid];
  world.state.serving[c.name] = archivedSysid;
  const replay = replayOfArchive(Object.keys(n.bucket), n.prefix);
  if (replay) {
    // Every segment restore_command brings (the first in-band, the others prefetched), then the first one it does not find: the archive's end.
    const url = `s3://${n.bucketName}/${n.prefix}`;
    const last = parseSegment(replay.to);
    const missing = nextSegment(last, '9.5');
    const segments = [...segmentRange(parseSegment(replay.from), last, '9.5')].map(formatSegment);
    n.say(...walFetchRunLines(n.tag, now(world), url, segments, formatSegment(missing), formatSegment(nextSegment(missing, '9.5'))));
  }
  // Patroni forces hot_standby: the node accepts read-only connections while it replays.
  const pg: RestoringPg = {
    ready: true,
    inRecovery: true,
    pollsUntilPromoted: RESTORE_POLLS,
    roles: { ...(restored?.roles ?? {}) },
    sysid: archivedSysid,
    replay,
  };
  c.pg = pg;
  setKey(world, n.keys.leaderKey, n.member);
  world.record('patroni', `${c.name} restores the archive with system identifier ${archivedSysid}`);
}

/**
 * A new cluster: the node takes `/initialize`, initdb makes a new database and PostgreSQL starts, the
 * node takes the leader key and says "initialized a new cluster" (v0.90 says nothing before: its
 * bootstrap is synchronous), and wal-e archives its sysid and first base backup into the node's prefix.
 */
function bootstrapNewCluster(world: SimWorld, n: Node, c: SimContainer): void {
  // initdb's identifier (xlog.c BootStrapXLOG): its time in seconds << 32, microseconds << 12, the pid's low 12 bits.
  const made = world.tick(1000).getTime();
  const sysid = ((BigInt(Math.floor(made / 1000)) << 32n) | (BigInt((made % 1000) * 1000) << 12n) | 0x0d7n).toString();
  setKey(world, `/service/${n.scope}/initialize`, sysid);
  setKey(world, n.keys.leaderKey, n.member);
  n.cell.files[n.dataDir] = ['postgres0'];
  world.state.serving[c.name] = sysid;
  c.pg = { ...c.pg, ready: true, inRecovery: false, pollsUntilPromoted: 0, sysid, roles: { ...c.pg.roles } };
  const put = (rel: string, body: string): void => {
    n.bucket[n.prefix + rel] = {
      size: Buffer.byteLength(body),
      etag: createHash('md5').update(`${sysid}/${rel}`).digest('hex'),
      lastModified: world.tick(1000).toISOString(),
      body,
    };
  };
  put('sysids/sysid', `${sysid}\n`);
  put(
    'basebackups_005/base_000000010000000000000002_00000040_backup_stop_sentinel.json',
    '{"wal_segment_backup_stop": "000000010000000000000002", "wal_segment_offset_backup_stop": "00000248", "expanded_size_bytes": 21047872}',
  );
  n.say(patroniSays(n.tag, now(world), 'initialized a new cluster'));
  world.record('patroni', `${c.name} bootstrapped a new empty cluster (system identifier ${sysid}) and archived it into ${n.prefix}`);
}

/**
 * A killed node's leader key (when it names the node) and member key stop being refreshed: they go
 * 30 s after the last refresh, made every 10 s from the container's start. A node that waited for a
 * leader is no other: Patroni refreshes its member key at each cycle, whatever it waits for (patroni/ha.py
 * `_run_cycle`: `touch_member()` after loading the cluster).
 */
export function stopOnCell(world: SimWorld, cellIp: string, c: SimContainer): void {
  const n = nodeOf(world, cellIp, c);
  world.record('docker', `${cellIp}: stopped ${c.name}`);
  if (!n.scope) return;
  const killed = Date.parse(c.finishedAt);
  const started = Date.parse(c.startedAt);
  const loop = PATRONI_LOOP_WAIT_SECONDS * 1000;
  const lastRefresh = started + Math.floor(Math.max(0, killed - started) / loop) * loop;
  const expires = new Date(lastRefresh + PATRONI_TTL_SECONDS * 1000);
  for (const key of [n.keys.leaderKey, n.keys.memberKey]) {
    const value = world.state.etcd[key];
    if (value === undefined || (key === n.keys.leaderKey && value !== n.member)) continue;
    setKey(world, key, value, expires);
  }
}

/**
 * Keys ran out: each node that waited on its scope's leader finds the cluster unlocked at its next
 * cycle: with `/initialize` it restores as any leaderless node does, without it it bootstraps anew.
 */
export function afterKeysExpired(world: SimWorld, gone: string[]): void {
  for (const [cellIp, cell] of Object.entries(world.state.cells)) {
    for (const c of Object.values(cell.containers)) {
      if (c.patroni !== 'waiting-for-leader' || !c.running) continue;
      const n = nodeOf(world, cellIp, c);
      if (!gone.includes(n.keys.leaderKey) || n.keys.leaderKey in world.state.etcd) continue;
      delete c.patroni;
      const initialized = world.state.etcd[`/service/${n.scope}/initialize`];
      if (initialized === undefined) bootstrapNewCluster(world, n, c);
      else bootstrapWithoutLeader(world, n, c, archivedSysid(n.bucket, n.prefix) ?? '');
    }
  }
}

const now = (world: SimWorld): Date => new Date(world.state.clock);
