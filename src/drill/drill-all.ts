/**
 * Drills of many archives (`drill --all`): each archive in turn, by the single drill as it is, never
 * two at once (one scratch server at a time, on a machine the operator also recovers from), within a
 * time budget. When the budget is spent the drill under way is stopped (its server with it) and the
 * archives not reached are reported as not drilled; Ctrl-C or SIGTERM stops it the same way.
 *
 * Where one archive is drilled is the caller's `drillOne`: this machine's server, or another's.
 */
import { messageOf } from '../core/errors.js';
import type { ArchiveReport } from '../wale/report.js';
import type { DrillReport } from './drill-report.js';
import type { CellDrillReport } from './cell-drill.js';
import { DRILL_EXIT, DrillFailed, outcomeExit, type DrillOutcome } from './exit-codes.js';
import { hintOf } from './failures.js';
import { walChainOf, type WalChain } from './wal-chain.js';

/** How one archive's drill ended: passed, a drill outcome, or not drilled (or stopped) for the budget or an interrupt. */
type ArchiveResult = 'passed' | DrillOutcome | 'budget-spent' | 'interrupted';

export interface ArchiveDrilled {
  /** s3://BUCKET/PREFIX/ of the archive. */
  archive: string;
  result: ArchiveResult;
  /** The drill started (false: never reached). */
  drilled: boolean;
  /** The exit code a drill of this archive alone would have ended with. */
  exitCode: number;
  /** Why it failed or was not drilled; null when it passed. */
  message: string | null;
  hint: string | null;
  /** The base backup restored (or that would have been): LATEST, its end, and how long before the drill. */
  backup: { name: string; finishedAt: string; finishedAtSource: string; ageMs: number } | null;
  /** The archived WAL from the inspection the drill made; null when it was never inspected. */
  wal: WalChain | null;
  startedAt: string | null;
  durationMs: number | null;
  /** The drill's own report, when it passed: here, or in the service's image on a cell. */
  report: DrillReport | CellDrillReport | null;
}

/** Drills one archive: `signal` stops it (budget, Ctrl-C); `inspected` is told its inspection as soon as it is made. */
type DrillOne = (
  archive: string,
  how: { signal: AbortSignal; inspected: (report: ArchiveReport) => void },
) => Promise<DrillReport | CellDrillReport>;

export interface DrillAllOptions {
  /** The archives' URLs, in the order they are drilled. */
  archives: string[];
  drillOne: DrillOne;
  /** The whole run's time, from `began` (performance.now()); none: no limit. */
  budgetMs?: number;
  began: number;
  /** Ctrl-C, SIGTERM. */
  signal: AbortSignal;
  now: () => Date;
  /** Told as each archive starts and ends. */
  progress?: (message: string) => void;
}

/**
 * Worst first: an archive that does not restore, then one whose data is not what was expected, one
 * whose backups stopped, one the drill could not judge, and archives left undrilled.
 */
const SEVERITY: readonly number[] = [
  DRILL_EXIT.notRestorable,
  DRILL_EXIT.queryFailed,
  DRILL_EXIT.tooOld,
  DRILL_EXIT.couldNotRun,
  DRILL_EXIT.budgetSpent,
];

/** The exit code of the whole: interrupted above all, else the worst result (SEVERITY), else 0. */
export function worstExit(results: readonly ArchiveDrilled[]): number {
  if (results.some((r) => r.result === 'interrupted')) return DRILL_EXIT.interrupted;
  for (const code of SEVERITY) if (results.some((r) => r.exitCode === code)) return code;
  return DRILL_EXIT.ok;
}

export async function drillAll(opts: DrillAllOptions): Promise<ArchiveDrilled[]> {
  const budget = new AbortController();
  const left = opts.budgetMs === undefined ? Infinity : opts.began + opts.budgetMs - performance.now();
  const timer = Number.isFinite(left)
    ? setTimeout(
        () => {
          budget.abort();
        },
        Math.max(0, left),
      )
    : undefined;
  if (left <= 0) budget.abort();
  const results: ArchiveDrilled[] = [];
  try {
    for (const [i, archive] of opts.archives.entries()) {
      const stop = opts.signal.aborted ? 'interrupted' : budget.signal.aborted ? 'budget-spent' : null;
      if (stop) {
        results.push(notDrilled(archive, stop));
        continue;
      }
      opts.progress?.(`drilling ${archive} (${i + 1} of ${opts.archives.length})`);
      const one = await drillOne(opts, archive, AbortSignal.any([opts.signal, budget.signal]), () => budget.signal.aborted);
      opts.progress?.(`${archive}: ${one.result}`);
      results.push(one);
    }
  } finally {
    clearTimeout(timer);
  }
  return results;
}

async function drillOne(opts: DrillAllOptions, archive: string, signal: AbortSignal, budgetSpent: () => boolean): Promise<ArchiveDrilled> {
  const startedAt = opts.now();
  const started = performance.now();
  // Set by the drill as soon as it inspected the archive, before it judges it.
  const seen: { report: ArchiveReport | null } = { report: null };
  const inspected = (report: ArchiveReport): void => {
    seen.report = report;
  };
  const base = { archive, drilled: true, startedAt: startedAt.toISOString() };
  try {
    const report = await opts.drillOne(archive, { signal, inspected });
    const b = report.backup;
    return {
      ...base,
      result: 'passed',
      exitCode: DRILL_EXIT.ok,
      message: null,
      hint: null,
      // The drill on a cell reads no backup's end: LATEST aged as wal-e orders it, by its sentinel.
      backup:
        typeof b === 'string'
          ? seen.report && latestOf(seen.report, startedAt)
          : { name: b.name, finishedAt: b.finishedAt, finishedAtSource: b.finishedAtSource, ageMs: b.ageMs },
      wal: seen.report && walChainOf(seen.report),
      durationMs: Math.round(performance.now() - started),
      report,
    };
  } catch (err) {
    const stopped = opts.signal.aborted ? 'interrupted' : budgetSpent() ? 'budget-spent' : null;
    const result: ArchiveResult = stopped ?? (err instanceof DrillFailed ? err.outcome : 'could-not-run');
    return {
      ...base,
      result,
      exitCode: exitOf(result),
      message: stopped
        ? `stopped: ${stopped === 'interrupted' ? 'interrupted' : 'the --budget was spent'} during its drill`
        : messageOf(err),
      hint: stopped ? null : (hintOf(err) ?? null),
      backup: seen.report ? latestOf(seen.report, startedAt) : null,
      wal: seen.report && walChainOf(seen.report),
      durationMs: Math.round(performance.now() - started),
      report: null,
    };
  }
}

function exitOf(result: Exclude<ArchiveResult, 'passed'>): number {
  if (result === 'budget-spent') return DRILL_EXIT.budgetSpent;
  return result === 'interrupted' ? DRILL_EXIT.interrupted : outcomeExit(result);
}

function notDrilled(archive: string, why: 'budget-spent' | 'interrupted'): ArchiveDrilled {
  return {
    archive,
    result: why,
    drilled: false,
    exitCode: exitOf(why),
    message: `not drilled: ${why === 'interrupted' ? 'interrupted' : 'the --budget was spent'}`,
    hint: null,
    backup: null,
    wal: null,
    startedAt: null,
    durationMs: null,
    report: null,
  };
}

/** LATEST of an archive whose drill failed, aged from its sentinel's LastModified (wal-e's own LATEST order). */
function latestOf(report: ArchiveReport, at: Date): ArchiveDrilled['backup'] {
  const latest = report.latest;
  if (!latest?.lastModified) return null;
  return {
    name: latest.name,
    finishedAt: latest.lastModified,
    finishedAtSource: 'sentinel LastModified',
    ageMs: at.getTime() - new Date(latest.lastModified).getTime(),
  };
}
