/**
 * What `doctor` and the checks before a live run are made of: a check's verdict with its fix, the
 * checks run one after the other, and the rendering of the verdicts for people and for --json (the
 * deadline a network check keeps is deadline.ts's).
 */
import { messageOf } from '../../core/errors.js';

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
