/**
 * Exit codes of `dingo-recover drill`, distinct so a scheduler (cron, CI) can
 * alert on the right thing without parsing output:
 *
 *   0  the archive restored, replayed its WAL, and the query answered as expected
 *   2  bad usage: malformed flags, S3 URL or duration (as every command)
 *   4  archive not restorable: no complete LATEST backup, WAL missing in the range
 *      a backup needs, a corrupt partition, PostgreSQL could not reach consistency,
 *      or replay cannot reach the newest archived WAL (a missing or damaged segment
 *      after the backup; the message names the lost range FIRST .. NEWEST), or
 *      --target-time outside the moments the archive reaches (the message names both ends)
 *   5  too old: LATEST finished longer ago than --max-age
 *   6  query failed, or it returned a row count other than --expect-rows
 *   7  could not run: missing or mismatched PostgreSQL binaries, S3 unreachable or
 *      refusing the credentials, deadline passed, no scratch space
 * 130  interrupted (Ctrl-C, SIGTERM, SIGHUP)
 *
 * `drill --all` ends with the worst of its archives' codes, in this order: 4, 6, 5, 7, then
 *   9  the --budget was spent: an archive was not drilled, or its drill was stopped
 * (130 above them all when interrupted), and
 *  75  another `drill --all` holds the lock (the message names it): nothing was drilled
 */
import { DingoError, EXIT } from '../core/errors.js';
import type { LostWal } from '../wale/report.js';

export const DRILL_EXIT = {
  ok: 0,
  badUsage: 2,
  notRestorable: 4,
  tooOld: 5,
  queryFailed: 6,
  couldNotRun: 7,
  budgetSpent: 9,
  locked: EXIT.locked,
  interrupted: 130,
} as const;

export type DrillOutcome = 'not-restorable' | 'too-old' | 'query-failed' | 'could-not-run';

const CODES: Record<DrillOutcome, number> = {
  'not-restorable': DRILL_EXIT.notRestorable,
  'too-old': DRILL_EXIT.tooOld,
  'query-failed': DRILL_EXIT.queryFailed,
  'could-not-run': DRILL_EXIT.couldNotRun,
};

/** The exit code of a drill that ended with `outcome`. */
export function outcomeExit(outcome: DrillOutcome): number {
  return CODES[outcome];
}

export interface Reachable {
  earliest: string;
  latest: string;
}

/** A drill that ended in one of its documented failure outcomes. */
export class DrillFailed extends DingoError {
  override readonly exitCode: number;
  readonly outcome: DrillOutcome;
  /** The scratch folder left for inspection (--keep). */
  workdir: string | null = null;
  /** Archived WAL replay cannot reach, when that is why the archive is not restorable. */
  readonly lost: LostWal | null;
  /** The moments the archive reaches (ISO, UTC), when a --target-time was outside them. */
  readonly reachable: Reachable | null;
  constructor(outcome: DrillOutcome, message: string, options?: { hint?: string; cause?: unknown; lost?: LostWal; reachable?: Reachable }) {
    super(message, options);
    this.outcome = outcome;
    this.exitCode = CODES[outcome];
    this.lost = options?.lost ?? null;
    this.reachable = options?.reachable ?? null;
  }
}
