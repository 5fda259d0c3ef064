/**
 * How a restoring node of the simulated cell replays the archive (restore.ts starts it): the WAL
 * wal-fetch finds by full segment names from LATEST's first segment, a step for each
 * pg_is_in_recovery() asked, where it says it is as PostgreSQL 9.5 does, and once promoted, the new
 * timeline's history file that names where replay ended (PostgreSQL's timeline.c format).
 */
import { DINGO_VERSION_NUM, ok, type Out, type SimContainer } from './cell-world.js';
import { VERSION_QUERY, VERSION_SELECT, replayQuery } from '../adapters/postgres-replay.js';
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
  if (sql === VERSION_QUERY || sql === VERSION_SELECT) return ok(`${versionNum}\n`);
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

/** Where replay ended: a little way into the last segment it read (the switchpoint of the timeline it promotes to). */
function replayEnd(replay: SimReplay): string {
  const at = parseSegment(replay.to);
  return formatLsn((BigInt(at.log) << 32n) + BigInt(at.seg) * BigInt(SEGMENT_BYTES) + 0x1f0n);
}

/**
 * `cat PGDATA/pg_xlog/0000000N.history` of a promoted node: the one line PostgreSQL 9.5 writes when
 * recovery ends at the archive's end (`<parent TLI>\t<switchpoint>\tno recovery target specified`).
 */
export function historyFile(pg: RestoringPg, path: string): Out | undefined {
  if (!pg.replay || pg.inRecovery || path !== `${HISTORY_DIR}/00000002.history`) return undefined;
  return ok(`1\t${replayEnd(pg.replay)}\tno recovery target specified\n`);
}

/** Where the image keeps PostgreSQL 9.5's WAL (run.sh: PG_DATA_DIR=/data/postgres0). */
const HISTORY_DIR = '/data/postgres0/pg_xlog';
