/** What PostgreSQL's server log says about an archive recovery: files restored, where redo ended, fatal errors. */
import { NotRegular, readLog, readLogSync } from '../core/read-regular.js';
import { majorNumber } from './local-pg.js';

/**
 * A scratch server's log, from byte `from` on. The log is in a folder the server's account may write,
 * so code of the archive's running there may put a FIFO, a link or a device in its place: such a log
 * is never opened to wait on, nor read, and the drill fails saying so.
 */
export async function serverLog(path: string, from = 0): Promise<string> {
  return readLog(path, from).catch((err: unknown) => {
    throw err instanceof NotRegular ? replacedLog(path, err) : err;
  });
}

/**
 * The same, at once (for the deadline's message, written as it passes): the log's text, or what
 * stands in its place.
 */
export function serverLogNow(path: string): { text: string; replaced: string | null } {
  try {
    return { text: readLogSync(path), replaced: null };
  } catch (err) {
    return { text: '', replaced: err instanceof NotRegular ? replacedLog(path, err).message : null };
  }
}

function replacedLog(path: string, err: NotRegular): Error {
  return new Error(
    `the server log ${path} is ${err.message}, no longer the file PostgreSQL wrote: something in the scratch server replaced it, and it was not read`,
  );
}

/** What the server log says about the recovery. */
export interface RecoveryLog {
  restoredFiles: string[];
  redoDoneAt: string | null;
  lastTransactionAt: string | null;
  newTimeline: number | null;
  /** The first transaction a recovery target left out: replay stopped before its commit (or abort). */
  stoppedBefore: { transaction: string; at: string } | null;
  /** Recovery ended (PostgreSQL 13+: FATAL) before it reached its target: no later transaction was archived. */
  targetNotReached: boolean;
  /** Where a recovery target stopped replay, as the log says it ("after commit of transaction 740, time …"). */
  stopped: string | null;
  fatal: string[];
}

export function parseRecoveryLog(log: string): RecoveryLog {
  const restoredFiles = [...log.matchAll(/restored log file "([^"]+)" from archive/g)].map((m) => m[1]!);
  const redoDoneAt = /redo done at (\S+)/.exec(log)?.[1] ?? null;
  const lastTx = [...log.matchAll(/last completed transaction was at log time (.+)$/gm)].pop()?.[1]?.trim() ?? null;
  const tli = [...log.matchAll(/selected new timeline ID: (\d+)/g)].pop()?.[1];
  const fatal = log.split('\n').filter((l) => /\b(FATAL|PANIC):/.test(l));
  const stop = [...log.matchAll(/recovery stopping before (?:commit|abort) of transaction (\d+), time (.+)$/gm)].pop();
  return {
    restoredFiles,
    redoDoneAt,
    lastTransactionAt: lastTx,
    newTimeline: tli ? Number(tli) : null,
    stoppedBefore: stop ? { transaction: stop[1]!, at: stop[2]!.trim() } : null,
    stopped: [...log.matchAll(/recovery stopping (.+)$/gm)].pop()?.[1]?.trim() ?? null,
    targetNotReached: /recovery ended before configured recovery target was reached/.test(log),
    fatal,
  };
}

/**
 * Recovery to a moment ended where the archived WAL ran out, short of the moment: PostgreSQL 13+
 * refuse to end it (FATAL); before 13 it ends silently, promoting at the end of the WAL it found, and
 * its log then names no transaction the target left out (a time target always stops "before" one).
 * Whether that end is the archive's end, or a hole before the moment, is for the caller to check.
 */
export function endedShortOfTarget(log: RecoveryLog, major: string): boolean {
  if (log.targetNotReached) return true;
  return majorNumber(major) < 13 && log.redoDoneAt !== null && log.stoppedBefore === null;
}
