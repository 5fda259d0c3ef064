/**
 * What a `recover` or `resume` asks the driver to run: a new run from its options, or a journaled run
 * with the settings it was started with and every change this resume makes to them.
 */
import { commandLine } from '../../core/command-line.js';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { changedOptions, applyChanges, journaledOptions } from './journaled-options.js';
import { loadRun, newRunId } from './runs.js';
import type { RunState } from '../journal/replay.js';
import { DEFAULT_SETTINGS, journaledSettings, type LiveOptions, type Settings } from '../runbook/settings.js';

export interface RunRequest {
  stateDir: string;
  /** New run: what to run. */
  start?: {
    mode: 'live' | 'rehearsal';
    runbookFile: string;
    scenarioDir?: string;
    settings: Partial<Settings>;
    live?: LiveOptions;
    /** Inputs the command gives (recover --target-time); the answers file may not say otherwise. */
    inputs?: Record<string, unknown>;
    /** The flag each of `inputs` comes from, to name it when the answers file disagrees. */
    inputFlags?: Record<string, string>;
  };
  /** Existing run to resume. */
  resumeId?: string;
  /** Settings given to a resume: each that differs from the journaled one is journaled as a change. */
  override?: { settings: Partial<Settings>; live?: LiveOptions };
}

export interface RunPlan {
  runId: string;
  /** The run's folder, when it is resumed (a new run's is created once its input is checked). */
  resumedDir?: string;
  mode: 'live' | 'rehearsal';
  scenarioDir?: string;
  runbookFile: string;
  settings: Settings;
  live: LiveOptions | undefined;
  /** Settings this resume changes, as `{key: {from, to}}`. */
  changes: Record<string, { from: unknown; to: unknown }>;
  /** The answers file the run was started with. */
  startedWithAnswers?: string;
  /** Inputs the command gave a new run (journaled as its inputs, as every answer is), and the flag of each. */
  givenInputs?: Record<string, unknown>;
  inputFlags?: Record<string, string>;
  /** The resumed run's state, as its journal has it. */
  state?: RunState;
  /** The resumed run is done already: there is nothing to run. */
  done: boolean;
}

function resumePlan(o: RunRequest, resumeId: string): RunPlan {
  const run = loadRun(o.stateDir, resumeId);
  const created = run.state.created;
  const options = journaledOptions(run.events);
  const changes = o.override ? changedOptions(options, { settings: o.override.settings, live: o.override.live }) : {};
  applyChanges(options, changes);
  if (created.options.answersMapping !== undefined) {
    // An earlier version ran `recover --target-time` as restore-to-time reading the recovery's answers
    // through a mapping journaled here; the runbook that run follows has changed its steps since.
    throw new UsageError(
      `run ${run.runId} was started by recover --target-time of an earlier dingo-recover, which this one cannot resume (it reads the recovery's answers through a mapping this version no longer has)`,
      {
        hint: `resume it with the dingo-recover it started with${typeof created.options.tool === 'string' ? ` (${created.options.tool})` : ''}, or end it (${commandLine(['abandon', run.runId, '--reason', 'started by an earlier version'])}) and start again: recover --target-time TIME (or --target-xid XID) with the same answers file runs recover-to-target; nothing it made is lost (a new run offers to adopt the instance it created)`,
      },
    );
  }
  if (run.state.abandoned !== null) {
    throw new UsageError(`run ${run.runId} was abandoned (${run.state.abandoned}); it cannot be resumed`, {
      hint: `start a new run (${commandLine(['recover'])}); it offers to adopt the instance this run created`,
    });
  }
  return {
    runId: run.runId,
    resumedDir: run.dir,
    mode: created.mode,
    scenarioDir: created.scenario,
    runbookFile: created.runbook.file,
    settings: journaledSettings(options.settings),
    live: options.live,
    changes,
    startedWithAnswers: typeof created.options.answersFile === 'string' ? created.options.answersFile : undefined,
    state: run.state,
    done: run.status === 'done',
  };
}

/** The run to drive: the one to resume, or a new one. */
export function planRun(o: RunRequest, now: Date): RunPlan {
  if (o.resumeId !== undefined) return resumePlan(o, o.resumeId);
  if (!o.start) throw new UsageError('nothing to run');
  return {
    runId: newRunId(now),
    mode: o.start.mode,
    scenarioDir: o.start.scenarioDir ? resolve(o.start.scenarioDir) : undefined,
    runbookFile: resolve(o.start.runbookFile),
    settings: { ...DEFAULT_SETTINGS, ...o.start.settings },
    live: o.start.live,
    givenInputs: o.start.inputs,
    inputFlags: o.start.inputFlags,
    changes: {},
    done: false,
  };
}
