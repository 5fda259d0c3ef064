/** What PostgreSQL's server log says about an archive recovery: files restored, where redo ended, fatal errors. */

/** What the server log says about the recovery. */
export interface RecoveryLog {
  restoredFiles: string[];
  redoDoneAt: string | null;
  lastTransactionAt: string | null;
  newTimeline: number | null;
  fatal: string[];
}

export function parseRecoveryLog(log: string): RecoveryLog {
  const restoredFiles = [...log.matchAll(/restored log file "([^"]+)" from archive/g)].map((m) => m[1]!);
  const redoDoneAt = /redo done at (\S+)/.exec(log)?.[1] ?? null;
  const lastTx = [...log.matchAll(/last completed transaction was at log time (.+)$/gm)].pop()?.[1]?.trim() ?? null;
  const tli = [...log.matchAll(/selected new timeline ID: (\d+)/g)].pop()?.[1];
  const fatal = log.split('\n').filter((l) => /\b(FATAL|PANIC):/.test(l));
  return { restoredFiles, redoDoneAt, lastTransactionAt: lastTx, newTimeline: tli ? Number(tli) : null, fatal };
}
