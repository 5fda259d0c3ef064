/**
 * The greeting a run or a resume opens with: which run, what its runbook does, where its journal is,
 * and, in a rehearsal, the simulated platform it runs against (whose calls are a live run's own).
 */
import { isAbsolute, relative } from 'node:path';
import type { Reporter } from '../operator/reporter.js';
import type { Runbook } from '../runbook/runbook.js';
import type { RunPlan } from './plan.js';

/** A path as the operator reads it: relative to the working folder when it lies under it, else whole. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The run's first lines: which run, what it does, where its journal is, and whether it is a rehearsal. */
export function greeting(
  plan: RunPlan,
  resuming: boolean,
  runbook: Runbook,
  reporter: Reporter,
  scenarioDir: string | undefined,
  journalFile: string,
): string {
  const rehearsal =
    scenarioDir === undefined
      ? ''
      : `\nREHEARSAL against the simulated platform of ${shownPath(scenarioDir)}: ` +
        (reporter.verbose
          ? 'every command and API call below is exactly what a live run would make.'
          : 'its commands and API calls are exactly what a live run would make (--verbose shows them).');
  return `dingo-recover ${resuming ? 'resumes' : 'starts'} run ${plan.runId}: ${runbook.title} (journal: ${journalFile})${rehearsal}`;
}
