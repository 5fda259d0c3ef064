/**
 * What `doctor` and the checks before a live run are made of: a check's verdict with its fix, the
 * deadline every network check keeps (saying what it waits on once it takes a while), and the
 * rendering of the verdicts for people and for --json.
 */
import { messageOf } from '../../core/errors.js';
import { onWaiting } from '../../core/waits.js';

/**
 * One check's verdict: ok or failed, what it found, and for a failure the flag, variable or command
 * that fixes it. A check with nothing to reach yet (no gateway, no bucket given) is not a failure, but
 * it is `checked: false`: an ok would claim a way the run has not been shown to have.
 */
export interface CheckResult {
  name: string;
  ok: boolean;
  checked?: false;
  detail: string;
  fix?: string;
}

/** A check: its name, what fixes it when it throws, and what it finds. */
export interface Check {
  name: string;
  fix: string;
  run: (say: (line: string) => void) => Promise<Omit<CheckResult, 'name'>>;
}

/** A check's verdicts: it found what it looked for, it had nothing to reach, it failed with its fix. */
export const ok = (detail: string) => ({ ok: true, detail });
/** Nothing reached: what the run will do instead, which this check could not prove from here. */
export const notChecked = (detail: string) => ({ ok: true, checked: false as const, detail });
export const failed = (detail: string, fix: string) => ({ ok: false, detail, fix });

/** After this long a network check says what it waits on. */
const WAITING_NOTICE_MS = 3000;

/** A check that cannot answer within `ms`: thrown by `withDeadline`. */
class PastDeadline extends Error {}

/**
 * `work` within `ms`: after a few seconds `say` is told what is awaited, and past the deadline it
 * fails naming what did not answer. The work itself is left to end on its own deadline. The wait
 * notices of the clients the work uses (core/waits.ts) are held meanwhile: the check says its own
 * wait, and one line per wait is what the screen should show.
 */
export async function withDeadline<T>(waitingOn: string, ms: number, say: (line: string) => void, work: () => Promise<T>): Promise<T> {
  let notice: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const releaseNotices = onWaiting(() => undefined);
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        notice = setTimeout(() => {
          say(`  … waiting on ${waitingOn} (${Math.round((Date.now() - started) / 1000)} s of ${Math.round(ms / 1000)} s)`);
        }, WAITING_NOTICE_MS);
        timer = setTimeout(() => {
          reject(new PastDeadline(`no answer from ${waitingOn} within ${Math.round(ms / 1000)} s`));
        }, ms);
      }),
    ]);
  } finally {
    releaseNotices();
    clearTimeout(notice);
    clearTimeout(timer);
  }
}

/** Runs the checks one after the other, each telling `say` of its waits; a check that throws failed with its message. */
export async function runChecks(checks: readonly Check[], say: (line: string) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push({ name: check.name, ...(await check.run(say)) });
    } catch (err) {
      results.push({ name: check.name, ok: false, detail: messageOf(err), fix: check.fix });
    }
  }
  return results;
}

const verdict = (r: CheckResult): string => (!r.ok ? 'FAILED' : r.checked === false ? 'not checked' : 'ok');

/** The verdicts for people: one line each, `ok`, `not checked` or `FAILED`, and under a failure what fixes it. */
export function checkLines(results: readonly CheckResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const verdictWidth = Math.max(...results.map((r) => verdict(r).length));
  return results.flatMap((r) => [
    `${verdict(r).padEnd(verdictWidth)}  ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.ok || !r.fix ? [] : [`${' '.repeat(verdictWidth + 2)}${' '.repeat(width)}  fix: ${r.fix}`]),
  ]);
}
