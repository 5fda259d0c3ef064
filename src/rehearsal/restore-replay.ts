/**
 * How a restoring node of the simulated cell replays the archive (restore.ts starts it): the WAL
 * wal-fetch finds by full segment names from LATEST's first segment, a step for each
 * pg_is_in_recovery() asked, where it says it is as PostgreSQL 9.5 does, and once promoted, the new
 * timeline's history file that names where replay ended (PostgreSQL's timeline.c format) and the
 * control file of a fast promotion (controlRecovery).
 */
import { DINGO_VERSION_NUM, ok, type Out, type SimContainer } from './cell-world.js';
import { VERSION_QUERY, VERSION_SELECT, replayQuery } from '../adapters/postgres-replay.js';
import { type ControlRecovery, IN_PRODUCTION } from './cell-sim-replication.js';
import {
  formatLsn,
  formatSegment,
  nextSegment,
  parseSegment,
  segmentAtIndex,
  segmentIndex,
  segmentStartLsn,
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
  if (sql === VERSION_QUERY || sql === VERSION_SELECT) return ok(`${versionNum}\n`);
  if (sql !== replayQuery(DINGO_VERSION_NUM)) return undefined;
  // NULL (an empty line) when the server never replayed anything: it was not restored.
  if (!pg.replay) return ok('\n');
  const from = segmentIndex(parseSegment(pg.replay.from));
  const to = segmentIndex(parseSegment(pg.replay.to));
  const done = pg.inRecovery ? (RESTORE_POLLS - Math.min(pg.pollsUntilPromoted, RESTORE_POLLS)) / RESTORE_POLLS : 1;
  const at = segmentAtIndex(0, from + Math.round(done * (to - from)));
  // A record a little way into the segment, as replay leaves it.
  const lsn = segmentStartLsn(at) + 0x60n;
  return ok(`${formatLsn(lsn)}\n`);
}

/** Where replay ended: a little way into the last segment it read (the switchpoint of the timeline it promotes to). */
function replayEnd(replay: SimReplay): bigint {
  return segmentStartLsn(parseSegment(replay.to)) + 0x1f0n;
}

/**
 * What a node's control file says of its recovery. Restoring, it is in archive recovery on timeline 1,
 * its minimum recovery point where replay began. Promoted, it ended recovery as PostgreSQL 9.5 ends
 * Patroni's `pg_ctl promote` (xlog.c REL9_5_STABLE, StartupXLOG): a fast promotion writes an
 * end-of-recovery record on timeline 2 and names that timeline as the minimum recovery point's
 * (CreateEndOfRecoveryRecord), leaves recovery, and only then asks for an unhurried checkpoint
 * (RequestCheckpoint(CHECKPOINT_FORCE)), spread over checkpoint_completion_target of
 * checkpoint_timeout, minutes, during which the latest checkpoint is still timeline 1's. Here that
 * checkpoint never ends: the tool reads the control file seconds after the promotion. Real PostgreSQL
 * 15 and 10 (a standby of recovery.conf, as 9.x's) promoted so leave it so
 * (test/actions/promoted-timeline.test.ts).
 */
export function controlRecovery(pg: RestoringPg): ControlRecovery {
  if (!pg.replay) return IN_PRODUCTION;
  if (pg.inRecovery) {
    return {
      state: 'in archive recovery',
      checkpointTimeline: 1,
      minRecovery: formatLsn(segmentStartLsn(parseSegment(pg.replay.from)) + 0x60n),
      minRecoveryTimeline: 1,
    };
  }
  // The end of the end-of-recovery record (XLogInsert's return): its 24-byte header, 2 of data header
  // and 16 of xl_end_of_recovery, aligned to 8, from the switchpoint.
  return {
    state: 'in production',
    checkpointTimeline: 1,
    minRecovery: formatLsn(replayEnd(pg.replay) + 0x30n),
    minRecoveryTimeline: 2,
  };
}

/**
 * `cat PGDATA/pg_xlog/0000000N.history` of a promoted node: the one line PostgreSQL 9.5 writes when
 * recovery ends at the archive's end (`<parent TLI>\t<switchpoint>\tno recovery target specified`).
 */
export function historyFile(pg: RestoringPg, path: string): Out | undefined {
  if (!pg.replay || pg.inRecovery || path !== `${HISTORY_DIR}/00000002.history`) return undefined;
  return ok(`1\t${formatLsn(replayEnd(pg.replay))}\tno recovery target specified\n`);
}

/** Where the image keeps PostgreSQL 9.5's WAL (run.sh: PG_DATA_DIR=/data/postgres0). */
const HISTORY_DIR = '/data/postgres0/pg_xlog';
