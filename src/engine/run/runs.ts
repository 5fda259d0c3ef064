/**
 * Run folders: `<state-dir>/runs/<run-id>/` holds the journal, the lock, and (for
 * rehearsals) the simulated platform's state.
 */
import { existsSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import { commandLine } from '../../core/command-line.js';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readJournal } from '../journal/journal.js';
import { fsUsageError } from '../journal/fs-errors.js';
import type { JournalEvent } from '../journal/journal-events.js';
import { replay, type RunState, type StepState } from '../journal/replay.js';
import { livePid } from './lock.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { errnoCode } from '../../core/errors.js';
import { checkTrusted } from '../../core/file-trust.js';
import { doneWords } from '../report/run-done.js';

export const JOURNAL_FILE = 'journal.ndjson';
export const LOCK_FILE = 'lock';

function runsDir(stateDir: string): string {
  return join(resolve(stateDir), 'runs');
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** A run id as `newRunId` makes it: one plain folder name, never `.`, `..`, a path or empty. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Refuses anything that is not a plain run id (`.`, `..`, a path, empty, a NUL) before it names a folder. */
function checkRunId(runId: string): void {
  if (RUN_ID.test(runId)) return;
  throw new UsageError(`${JSON.stringify(runId)} is not a run id: a run id is one name like 20260317-180520-ab12`, {
    hint: `give the id of a run as \`${commandLine(['runs'])}\` lists it (resume without an id takes the newest unfinished run)`,
  });
}

/**
 * Refuses a state folder (or its `runs` folder) that exists but cannot hold runs (a file, or a path
 * through a file), or that another user owns or may write (core/file-trust.ts): they could plant or
 * change its runs, journals and locks. A state folder that does not exist yet is fine: it holds no runs.
 */
export function checkStateDir(stateDir: string): void {
  for (const dir of [resolve(stateDir), runsDir(stateDir)]) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw fsUsageError(err, 'use the state folder', dir);
    }
    if (!st.isDirectory()) throw fsUsageError(Object.assign(new Error('not a folder'), { code: 'EEXIST' }), 'use the state folder', dir);
    checkTrusted(dir, 'state folder');
  }
}

export function createRunDir(stateDir: string, runId: string): string {
  checkRunId(runId);
  checkStateDir(stateDir);
  const dir = join(runsDir(stateDir), runId);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fsUsageError(err, 'create the run folder', dir);
  }
  return dir;
}

export interface RunSummary {
  runId: string;
  dir: string;
  mode: string;
  runbook: string;
  createdAt: string;
  lastEventAt: string;
  status: 'done' | 'abandoned' | 'failed' | 'interrupted' | 'in progress';
  /** Where the run stands, in words: done, stopped at a step and why, waiting for the operator, interrupted, running as pid P. */
  stands: string;
  /** The PID driving it now (a live holder of its lock on this host), else null. */
  runningAs: number | null;
  /** The user's service, org and space, as answered ("" when not asked yet). */
  service: string;
  org: string;
  space: string;
  currentStep: string | null;
  steps: { finished: number; total: number | null };
  state: RunState;
  events: JournalEvent[];
}

function runStatus(state: RunState, failed: boolean): RunSummary['status'] {
  if (state.finished) return 'done';
  if (state.abandoned !== null) return 'abandoned';
  if (failed) return 'failed';
  return state.interrupted ? 'interrupted' : 'in progress';
}

/** Where a run stands, in words. */
function standing(
  state: RunState,
  status: RunSummary['status'],
  runningAs: number | null,
  failed: [string, StepState] | undefined,
): string {
  if (status === 'done') return doneWords([...state.steps.values()].filter((s) => s.warnings?.length).length);
  if (status === 'abandoned') return `abandoned: ${state.abandoned ?? ''}`;
  if (runningAs !== null) return `running as pid ${runningAs}`;
  if (failed) return `stopped at ${failed[0]}: ${failed[1].error ?? 'failed'}`;
  if (state.stopped?.exitCode === EXIT.needsOperator) return `waiting for the operator: ${state.stopped.error}`;
  if (state.plannedBefore !== null) return `planned: waits before ${state.plannedBefore}`;
  if (state.interrupted) return 'interrupted';
  return 'stopped (its process ended without a word: killed?)';
}

export function loadRun(stateDir: string, runId: string): RunSummary {
  checkRunId(runId);
  checkStateDir(stateDir);
  const dir = join(runsDir(stateDir), runId);
  if (!existsSync(join(dir, JOURNAL_FILE))) {
    const known = listRunIds(stateDir);
    throw new UsageError(`no run "${runId}" in ${runsDir(stateDir)}`, {
      hint: known.length
        ? `known runs: ${known.slice(-5).join(', ')} (see \`${commandLine(['runs'])}\`)`
        : 'there are no runs in this state folder; check --state-dir',
    });
  }
  const events = readJournal(join(dir, JOURNAL_FILE));
  const state = replay(events);
  const steps = [...state.steps.entries()];
  const failed = steps.find(([, s]) => s.status === 'failed');
  const started = steps.find(([, s]) => s.status === 'started');
  const stepCount = state.created.options.stepCount;
  const status = runStatus(state, failed !== undefined);
  const runningAs = status === 'done' || status === 'abandoned' ? null : livePid(join(dir, LOCK_FILE));
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    runId,
    dir,
    mode: state.created.mode,
    runbook: state.created.runbook.name,
    createdAt: state.created.at,
    lastEventAt: state.lastEventAt,
    status,
    stands: standing(state, status, runningAs, failed),
    runningAs,
    service: text(state.inputs.serviceName) || text(state.inputs.instance),
    org: text(state.inputs.org),
    space: text(state.inputs.space),
    currentStep: (failed ?? started)?.[0] ?? null,
    steps: {
      // The runbook's own steps: a for-each item's (FOR_EACH/KEY/STEP) are counted by their for-each step.
      finished: steps.filter(([id, s]) => !id.includes('/') && (s.status === 'finished' || s.status === 'skipped')).length,
      total: typeof stepCount === 'number' ? stepCount : null,
    },
    state,
    events,
  };
}

export function listRunIds(stateDir: string): string[] {
  checkStateDir(stateDir);
  const dir = runsDir(stateDir);
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fsUsageError(err, 'list the runs in', dir);
  }
  return names.filter((d) => existsSync(join(dir, d, JOURNAL_FILE))).sort();
}

/**
 * The runs that are neither done nor abandoned, newest first, for `resume` without an id. Ordered by
 * the moment each was created (milliseconds), not by id: two runs started in the same second have
 * ids that differ only in their random tail.
 */
export function unfinishedRuns(stateDir: string): RunSummary[] {
  const runs: RunSummary[] = [];
  for (const id of listRunIds(stateDir)) {
    try {
      const run = loadRun(stateDir, id);
      if (run.status !== 'done' && run.status !== 'abandoned') runs.push(run);
    } catch {
      // a damaged run is reported by `runs`, not resumed implicitly
    }
  }
  return runs.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.runId < b.runId ? 1 : -1));
}
