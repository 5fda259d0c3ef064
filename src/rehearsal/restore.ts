/**
 * What a Dingo patroni container does when it starts (IMG start_pg.sh and
 * restore_leader_if_missing.sh, Patroni v0.90): with data in /data it simply resumes
 * that database; with an empty /data, no leader in etcd and backups in its wal-e
 * prefix, it re-seeds /initialize from sysids/sysid and restores LATEST, unless etcd
 * still holds another system identifier, in which case Patroni exits. While it restores, it
 * replays the archive's WAL from the base backup's first segment to the last one wal-fetch finds
 * by its full name, a step for each pg_is_in_recovery() asked, and says where it is as PostgreSQL
 * 9.5 does.
 */
import type { SimWorld } from './world-state.js';
import { DINGO_VERSION_NUM, envOf, ok, type Out, type SimContainer } from './cell-world.js';
import { withoutKeys } from './json-state.js';
import { VERSION_QUERY, replayQuery } from '../adapters/postgres-replay.js';
import {
  formatLsn,
  formatSegment,
  nextSegment,
  parseSegment,
  segmentAtIndex,
  segmentIndex,
  SEGMENT_BYTES,
  type Segment,
} from '../wale/segments.js';

/** How many pg_is_in_recovery() a restoring node answers `t` before it is promoted (cell-exec counts them down). */
export const RESTORE_POLLS = 3;
const SIM_PG_MAJOR = '9.5';

/** The WAL a restoring node replays: from the base backup's first segment to the last one fetched. */
export interface SimReplay {
  from: string;
  to: string;
}

/** A container's database, with what it replays while it restores. */
export type RestoringPg = SimContainer['pg'] & { replay?: SimReplay };

const BASE_BACKUP = /basebackups_005\/base_([0-9A-F]{24})_[0-9A-F]{8}_backup_stop_sentinel\.json$/;

/**
 * The replay of the archive under `prefix`, as wal-e's wal-fetch feeds it: LATEST's first segment,
 * then each next one asked for by its full name (`wal_005/<segment>.lzo`) until one is not there.
 * A `.partial` is never asked for: its WAL is replayed only once copied to its segment's full name.
 */
export function replayOfArchive(keys: string[], prefix: string): SimReplay | undefined {
  const mine = new Set(keys.filter((k) => k.startsWith(prefix)));
  const from = [...mine]
    .flatMap((k) => BASE_BACKUP.exec(k)?.[1] ?? [])
    .sort()
    .at(-1);
  if (from === undefined) return undefined;
  const fetched = (s: Segment): boolean => mine.has(`${prefix}wal_005/${formatSegment(s)}.lzo`);
  let at = parseSegment(from);
  if (!fetched(at)) return undefined;
  for (let next = nextSegment(at, SIM_PG_MAJOR); fetched(next); next = nextSegment(next, SIM_PG_MAJOR)) at = next;
  return { from, to: formatSegment(at) };
}

/**
 * The replay-location queries of postgres-replay.ts, answered as psql -tA prints them: the
 * server version, then the location of the last record replayed, which moves through the
 * archive's segments as the polls before promotion run out. Undefined: not such a query.
 */
export function answerReplayQuery(pg: RestoringPg, sql: string, versionNum = DINGO_VERSION_NUM): Out | undefined {
  if (sql === VERSION_QUERY) return ok(`${versionNum}\n`);
  if (sql !== replayQuery(DINGO_VERSION_NUM)) return undefined;
  // NULL (an empty line) when the server never replayed anything: it was not restored.
  if (!pg.replay) return ok('\n');
  const from = segmentIndex(parseSegment(pg.replay.from));
  const to = segmentIndex(parseSegment(pg.replay.to));
  const done = pg.inRecovery ? (RESTORE_POLLS - Math.min(pg.pollsUntilPromoted, RESTORE_POLLS)) / RESTORE_POLLS : 1;
  const at = segmentAtIndex(0, from + Math.round(done * (to - from)));
  // A record a little way into the segment, as replay leaves it.
  const lsn = (BigInt(at.log) << 32n) + BigInt(at.seg) * BigInt(SEGMENT_BYTES) + 0x60n;
  return ok(`${formatLsn(lsn)}\n`);
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
  const pg: RestoringPg = {
    ready: true,
    inRecovery: true,
    pollsUntilPromoted: RESTORE_POLLS,
    roles: { ...(restored?.roles ?? {}) },
    sysid: archivedSysid,
    replay: replayOfArchive(Object.keys(bucket), prefix),
  };
  c.pg = pg;
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
