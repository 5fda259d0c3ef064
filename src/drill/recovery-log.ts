/** What PostgreSQL's server log says about an archive recovery: files restored, where redo ended, fatal errors. */

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
    targetNotReached: /recovery ended before configured recovery target was reached/.test(log),
    fatal,
  };
}
