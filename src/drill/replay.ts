/**
 * How far WAL replay got in a drill: what the restored server and its log say, and the
 * archived WAL it did not reach.
 */
import type { LostWal } from '../wale/report.js';
import { formatSegment, nextSegment, parseLsn, parseSegment, SEGMENT_BYTES, segmentIndex, segmentOfLsn } from '../wale/segments.js';
import { majorNumber } from './local-pg.js';
import { parseRecoveryLog } from './recovery-log.js';
import type { ScratchCluster } from './scratch-cluster.js';

/** Where replay ended, from the server (or its log when the server does not say). */
export interface ReplayEnd {
  lastLsn: string | null;
  lastSegment: string | null;
  lastTransactionAt: string | null;
  timeline: number | null;
}

export interface ReplayFacts extends ReplayEnd {
  restoredFiles: string[];
  /** The first transaction a recovery target left out, from the server log. */
  stoppedBefore: { transaction: string; at: string } | null;
}

export async function replayFacts(cluster: ScratchCluster, major: string, conn: { user: string; database: string }): Promise<ReplayFacts> {
  // Both functions keep their last recovery values after promotion (10+ names; xlog before).
  const fns =
    majorNumber(major) >= 10
      ? ['pg_catalog.pg_last_wal_replay_lsn()', 'pg_catalog.pg_last_xact_replay_timestamp()']
      : ['pg_catalog.pg_last_xlog_replay_location()', 'pg_catalog.pg_last_xact_replay_timestamp()'];
  const row = (await cluster.query(`select ${fns.join(', ')}`, conn)).rows[0] ?? [];
  const log = parseRecoveryLog(await cluster.log());
  const segments = log.restoredFiles.filter((f) => /^[0-9A-F]{24}$/.test(f));
  return {
    lastLsn: row[0] || log.redoDoneAt,
    lastSegment: segments[segments.length - 1] ?? null,
    lastTransactionAt: row[1] || log.lastTransactionAt,
    timeline: log.newTimeline,
    restoredFiles: log.restoredFiles,
    stoppedBefore: log.stoppedBefore,
  };
}

/** "FROM" for one segment, "FROM .. TO" for a range. */
export function lostRange(l: LostWal): string {
  return l.from === l.to ? l.from : `${l.from} .. ${l.to}`;
}

/**
 * The archived WAL replay did not reach: from the first segment not replayed whole to `newest`
 * (the newest segment on the chain), or null when replay got there. The end of the last record
 * replayed tells where replay stopped; PostgreSQL may fetch a damaged segment, or fetch the
 * last good one again, so the restored file names alone do not.
 */
export function replayShortfall(
  replay: { lastLsn: string | null; lastSegment: string | null },
  newest: string | null,
  pgMajor: string | null,
): LostWal | null {
  if (!newest) return null;
  const end = parseSegment(newest);
  const lsn = replay.lastLsn && /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(replay.lastLsn) ? parseLsn(replay.lastLsn) : 0n;
  let reachedIndex: number;
  let next: string;
  if (lsn > 0n) {
    const reached = segmentOfLsn(lsn - 1n, end.tli);
    reachedIndex = segmentIndex(reached, pgMajor);
    next = formatSegment(lsn % BigInt(SEGMENT_BYTES) === 0n ? nextSegment(reached, pgMajor) : reached);
  } else if (replay.lastSegment) {
    const reached = { ...parseSegment(replay.lastSegment), tli: end.tli };
    reachedIndex = segmentIndex(reached, pgMajor);
    next = formatSegment(nextSegment(reached, pgMajor));
  } else {
    return null;
  }
  return reachedIndex >= segmentIndex(end, pgMajor) ? null : { from: next, to: newest };
}
