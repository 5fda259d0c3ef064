/**
 * When this machine last drilled each archive, and how it ended (`drill-history.json` in the state
 * folder). `drill --all --sample N` drills the N archives drilled longest ago: never-drilled ones
 * first, then by the time of their last drill, ties in key order. So a nightly sample goes round every
 * archive, and which ones a run will take can be read from the file. An archive left undrilled (the
 * budget, an interrupt) keeps its old time and comes first again.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { errnoCode } from '../core/errors.js';
import { readInputFile } from '../core/input-file.js';
import { isRecord } from '../core/json.js';
import type { ArchiveDrilled } from './drill-all.js';

/** Each archive's last drill: when it started and its result. */
export type DrillHistory = Record<string, { at: string; result: string }>;

/** Many thousand archives' lines. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * The history in `file`; empty when there is none. One that cannot be read as a history (torn, not a
 * file) is moved aside, never deleted, and `warn` says where: the sample starts afresh.
 */
export function readHistory(file: string, now: Date, warn: (message: string) => void): DrillHistory {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readInputFile(file, { what: 'drill history', maxBytes: MAX_BYTES, hint: '' }));
  } catch (err) {
    if (errnoCode(err instanceof Error ? err.cause : undefined) === 'ENOENT') return {};
    parsed = null;
  }
  const history: DrillHistory = {};
  if (isRecord(parsed)) {
    for (const [archive, v] of Object.entries(parsed)) {
      if (isRecord(v) && typeof v.at === 'string' && typeof v.result === 'string') history[archive] = { at: v.at, result: v.result };
    }
    return history;
  }
  const aside = `${file}.unreadable-${now.getTime()}`;
  renameSync(file, aside);
  warn(`the drill history ${file} could not be read: moved to ${aside}; every archive counts as never drilled`);
  return history;
}

/** The `n` archives drilled longest ago (never-drilled first), in the order they are given (key order) within a tie. */
export function sampleOf(archives: readonly string[], history: DrillHistory, n: number): string[] {
  const when = (a: string): number => (history[a] ? Date.parse(history[a].at) || 0 : -Infinity);
  return archives
    .map((a, i) => ({ a, i, t: when(a) }))
    .sort((x, y) => x.t - y.t || x.i - y.i)
    .slice(0, n)
    .map((x) => x.a);
}

/** The history with the archives drilled now (not those left undrilled), written whole in place of the old (0600). */
export function recordHistory(file: string, history: DrillHistory, results: readonly ArchiveDrilled[]): void {
  const next: DrillHistory = { ...history };
  for (const r of results)
    if (r.drilled && r.startedAt && r.result !== 'budget-spent' && r.result !== 'interrupted')
      next[r.archive] = { at: r.startedAt, result: r.result };
  const part = `${file}.part`;
  writeFileSync(part, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(part, file);
}
