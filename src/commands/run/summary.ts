/**
 * `recover`/`recover-space`/`resume`/`rehearse --json`: the run's summary on stdout once it stops
 * (the screen goes to stderr), for scripts and CI. Read back from the run's journal, which is
 * redacted as it is written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../core/errors.js';
import { REPORT_FILE } from '../../engine/report/index.js';
import { loadRun, type RunProduced } from '../../engine/run/index.js';

export interface RunSummaryJson {
  runId: string;
  mode: string;
  runbook: string;
  /** done, done-with-warnings (exit 8: a step could not do all its work), planned (stopped by --plan), waiting (for the operator: exit 3) or failed. */
  state: 'done' | 'done-with-warnings' | 'planned' | 'waiting' | 'failed';
  exitCode: number;
  /** The step it is at (null when done). */
  step: string | null;
  steps: { finished: string[]; skipped: string[]; failed: string[] };
  /** Each step that ended done, with a warning, and why (a finished step: it is also in `steps.finished`). */
  warnings: { step: string; warnings: string[] }[];
  /** The instance the run is about, as its runbook declares its subject (null until the step naming it finished). */
  subject: RunProduced['subject'];
  /** What the runbook declares it produces, those whose steps finished. */
  outputs: Record<string, unknown>;
  /** The incident report (null until the run is done). */
  report: { path: string | null };
  /** --record: the scenario of the platform as the run found it (`written`), or why none was written; null without --record. */
  scenario: { dir: string; written: boolean; reason: string | null } | null;
}

/** How a run that ended with `exitCode` stands. */
function stateOf(exitCode: number, finished: boolean): RunSummaryJson['state'] {
  if (exitCode === EXIT.done) return finished ? 'done' : 'planned';
  if (exitCode === EXIT.doneWithWarnings) return 'done-with-warnings';
  return exitCode === EXIT.needsOperator ? 'waiting' : 'failed';
}

/** The summary of the run `stopped` (as drive() returned it). */
export function runSummary(
  stateDir: string,
  stopped: { runId: string; exitCode: number; step?: string | null; produced?: RunProduced },
): RunSummaryJson {
  const { runId, exitCode } = stopped;
  const run = loadRun(stateDir, runId);
  const ids = (status: string) => [...run.state.steps].filter(([, s]) => s.status === status).map(([id]) => id);
  const finished = run.state.finished;
  const state = stateOf(exitCode, finished);
  const path = join(run.dir, REPORT_FILE);
  const recorded = run.events.filter((e) => e.type === 'scenario.recorded' || e.type === 'scenario.not-recorded').at(-1);
  return {
    runId,
    mode: run.mode,
    runbook: run.runbook,
    state,
    exitCode,
    step: finished ? null : (stopped.step ?? run.currentStep),
    steps: { finished: ids('finished'), skipped: ids('skipped'), failed: ids('failed') },
    warnings: [...run.state.steps].filter(([, s]) => s.warnings?.length).map(([step, s]) => ({ step, warnings: s.warnings ?? [] })),
    subject: stopped.produced?.subject ?? null,
    outputs: stopped.produced?.outputs ?? {},
    report: { path: finished && existsSync(path) ? path : null },
    scenario: recorded
      ? {
          dir: recorded.dir,
          written: recorded.type === 'scenario.recorded',
          reason: recorded.type === 'scenario.not-recorded' ? recorded.reason : null,
        }
      : null,
  };
}
