/**
 * How far WAL replay got in a drill, and the archived WAL it did not reach. What decides is read by
 * the drill itself from the restored copy's control file (systems/pg-control.ts), at the moment
 * recovery ended and before any statement of ours runs in the server: code of the archive's runs in
 * that server once it answers (a system function the archive's owner rewrote in pg_proc, an index
 * expression folded while a query is planned), so what the server says afterwards (its replay
 * functions) is only compared with it, and a disagreement fails the drill naming both.
 */
import type { LostWal } from '../wale/report.js';
import {
  formatLsn,
  formatSegment,
  nextSegment,
  parseLsn,
  parseSegment,
  SEGMENT_BYTES,
  segmentIndex,
  segmentOfLsn,
} from '../wale/segments.js';
import { readPgControl, type PgControl } from '../systems/pg-control.js';
import { DrillFailed } from './exit-codes.js';
import { majorNumber } from './local-pg.js';
import { parseRecoveryLog, type RecoveryLog } from './recovery-log.js';
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

/**
 * Watches a copy's control file while it recovers: `ended` says whether recovery ended (the state
 * PostgreSQL writes once its end-of-recovery checkpoint is made, before it takes a connection), or null
 * when the file cannot be read here (a layout whose CRC matches none known): then the server is asked,
 * as before. `seen` is the control file read when recovery was seen ended.
 */
export function controlWatch(dataDir: string, major: string): { ended: () => Promise<boolean | null>; seen: () => PgControl | null } {
  let seen: PgControl | null = null;
  return {
    ended: async () => {
      const control = await readPgControl(dataDir, major).catch(() => null);
      if (!control?.crcOk) return null;
      if (control.state !== 'in production') return false;
      seen = control;
      return true;
    },
    seen: () => seen,
  };
}

/** XLOG_BLCKSZ, and the page headers a WAL position past a page or segment boundary skips. */
const WAL_PAGE = 8192n;
const SHORT_PAGE_HEADER = 24n;
const LONG_PAGE_HEADER = 40n;

/**
 * Where replay ended, from the end-of-recovery checkpoint the control file names: the checkpoint is
 * written where WAL insertion starts again, just after the last record replayed (or the page header
 * after it, when replay ended on a page's or a segment's boundary, which is then where it ended).
 */
function endOfReplay(control: PgControl): bigint {
  const redo = parseLsn(control.redoLocation);
  if (redo % BigInt(SEGMENT_BYTES) === LONG_PAGE_HEADER) return redo - LONG_PAGE_HEADER;
  if (redo % WAL_PAGE === SHORT_PAGE_HEADER) return redo - SHORT_PAGE_HEADER;
  return redo;
}

/**
 * Past the last record replayed, the end-of-recovery checkpoint may follow a few records of its own
 * (a full_page_writes change, a torn record overwritten): the server's end of replay lies at most this
 * far before the checkpoint.
 */
const END_SLACK = 1024n * 1024n;

/**
 * What replay reached: as the control file read when recovery ended says (`control`), checked against
 * what the server and its log say; without a control file (a paused copy, a layout not known here),
 * the server's word. The log is read before the server is asked anything.
 */
export async function replayFacts(
  cluster: ScratchCluster,
  major: string,
  conn: { user: string; database: string },
  believed: { control: PgControl | null; archiveSysid: string | null } = { control: null, archiveSysid: null },
): Promise<ReplayFacts> {
  const log = parseRecoveryLog(await cluster.log());
  // Both functions keep their last recovery values after promotion.
  const fns = [`pg_catalog.${lastReplayedFunction(major)}()`, 'pg_catalog.pg_last_xact_replay_timestamp()'];
  const row = (await cluster.query(`select ${fns.join(', ')}`, conn)).rows[0] ?? [];
  const segments = log.restoredFiles.filter((f) => /^[0-9A-F]{24}$/.test(f));
  const said: ReplayFacts = {
    lastLsn: row[0] || log.redoDoneAt,
    lastSegment: segments[segments.length - 1] ?? null,
    lastTransactionAt: row[1] || log.lastTransactionAt,
    timeline: log.newTimeline,
    restoredFiles: log.restoredFiles,
    stoppedBefore: log.stoppedBefore,
  };
  if (!believed.control) return said;
  const end = checkAgainstControl(said, log, believed.control, believed.archiveSysid);
  return { ...said, lastLsn: formatLsn(end), timeline: believed.control.timeline };
}

/** The end of replay the control file gives, refused naming both when the server, its log or the archive say otherwise. */
function checkAgainstControl(said: ReplayFacts, log: RecoveryLog, control: PgControl, archiveSysid: string | null): bigint {
  const end = endOfReplay(control);
  const ours = "the restored copy's control file, which the drill read itself when recovery ended,";
  const disagree = (message: string): DrillFailed =>
    new DrillFailed(
      'not-restorable',
      `${message}: the server's word is not taken (code of the archive's may run in it), so the restore is not proven`,
      {
        hint: 'Keep the scratch folder (--keep) and compare pg_controldata of its data folder with the server log; an archive whose system functions were rewritten (pg_proc) is not one to trust.',
      },
    );
  const serverEnd = said.lastLsn && /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(said.lastLsn) ? parseLsn(said.lastLsn) : null;
  if (serverEnd === null || serverEnd > end || end - serverEnd > END_SLACK)
    throw disagree(
      `the restored server says replay ended at ${said.lastLsn ?? 'no location'}, but ${ours} says recovery ended at ${formatLsn(end)} (its end-of-recovery checkpoint)`,
    );
  if (log.newTimeline !== null && log.newTimeline !== control.timeline)
    throw disagree(`the server log says recovery chose timeline ${log.newTimeline}, but ${ours} says timeline ${control.timeline}`);
  // A sysid file that holds no number names no cluster (the archive's inspection warns of it): nothing to compare.
  if (archiveSysid && /^\d+$/.test(archiveSysid) && archiveSysid !== control.systemIdentifier)
    throw disagree(
      `the archive's WAL is of the cluster with system identifier ${archiveSysid}, but ${ours} says ${control.systemIdentifier}`,
    );
  return end;
}

/**
 * The function that says the end of the last WAL record replayed, which a server keeps after its
 * recovery ended: 10 and later name it for an LSN and the WAL, earlier majors for an xlog location.
 */
export function lastReplayedFunction(major: string): string {
  return majorNumber(major) >= 10 ? 'pg_last_wal_replay_lsn' : 'pg_last_xlog_replay_location';
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
