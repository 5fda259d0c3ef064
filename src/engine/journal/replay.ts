/** A run's state, derived by replaying its journal's events: inputs, each step's status, and how the run stands. */
import { UsageError } from '../../core/errors.js';
import type { EventBody, JournalEvent } from './journal-events.js';

export type StepStatus = 'pending' | 'started' | 'finished' | 'failed' | 'skipped';

export interface StepState {
  status: StepStatus;
  params?: Record<string, unknown>;
  plan?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string;
  /** A finished step that could not do all its work says why here (it counts as done: a resume goes on past it). */
  warnings?: string[];
  confirmed?: Extract<EventBody, { type: 'confirm' }>;
  evidence?: Record<string, string>;
  /** The choices decided for it (`choose:`), by key: the value and by whom. */
  choices?: Record<string, { value: string; by: string }>;
  attempts: number;
}

type Created = Extract<JournalEvent, { type: 'run.created' }>;

export interface RunState {
  runId: string;
  created: Created;
  inputs: Record<string, unknown>;
  steps: Map<string, StepState>;
  finished: boolean;
  interrupted: boolean;
  /** How the run last stopped (since it last resumed): its exit code and why; null when it did not. */
  stopped: { exitCode: number; error: string } | null;
  /** --plan stopped the run before this step. */
  plannedBefore: string | null;
  /** Why the run was abandoned, when it was. */
  abandoned: string | null;
  lastEventAt: string;
}

/**
 * Applies an event about one step; false when the event is about no step. A step's state is
 * replaced, never changed in place: a StepState read earlier stays what it was then.
 */
function applyStepEvent(e: JournalEvent, steps: Map<string, StepState>): boolean {
  const update = (id: string, to: (s: StepState) => Partial<StepState>): true => {
    const s = steps.get(id) ?? { status: 'pending', attempts: 0 };
    steps.set(id, { ...s, ...to(s) });
    return true;
  };
  switch (e.type) {
    case 'step.started':
      return update(e.step, (s) => ({
        status: 'started',
        params: e.params,
        plan: e.plan,
        error: undefined,
        warnings: undefined,
        attempts: s.attempts + 1,
      }));
    case 'step.finished':
      return update(e.step, () => ({ status: 'finished', outputs: e.outputs, error: undefined, warnings: e.warnings }));
    case 'step.failed':
      return update(e.step, () => ({ status: 'failed', error: e.error }));
    case 'step.skipped':
      return update(e.step, () => ({ status: 'skipped' }));
    case 'confirm':
      return update(e.step, () => ({ confirmed: e }));
    case 'evidence':
      return update(e.step, () => ({ evidence: e.facts }));
    case 'choice':
      return update(e.step, (s) => ({ choices: { ...s.choices, [e.key]: { value: e.value, by: e.by } } }));
    default:
      return false;
  }
}

/** Applies an event about the run as a whole (inputs, interruptions, the end). */
function applyRunEvent(e: JournalEvent, state: RunState): void {
  switch (e.type) {
    case 'input':
      state.inputs[e.name] = e.value;
      break;
    case 'run.interrupted':
      state.interrupted = true;
      break;
    case 'run.resumed':
      state.interrupted = false;
      state.stopped = null;
      state.plannedBefore = null;
      break;
    case 'run.stopped':
      state.stopped = { exitCode: e.exitCode, error: e.error };
      break;
    case 'run.planned':
      state.plannedBefore = e.step;
      break;
    case 'run.abandoned':
      state.abandoned = e.reason;
      break;
    case 'run.finished':
      state.finished = true;
      break;
    default:
      break;
  }
}

/** Applies one event, in journal order, to a run's state. */
export function applyEvent(state: RunState, e: JournalEvent): void {
  state.lastEventAt = e.at;
  if (!applyStepEvent(e, state.steps)) applyRunEvent(e, state);
}

/** The state of a run that has just been created. */
function startState(created: Created): RunState {
  return {
    runId: created.runId,
    created,
    inputs: {},
    steps: new Map(),
    finished: false,
    interrupted: false,
    stopped: null,
    plannedBefore: null,
    abandoned: null,
    lastEventAt: created.at,
  };
}

/** Derives a run's state from its events. */
export function replay(events: JournalEvent[]): RunState {
  const created = events.find((e): e is Created => e.type === 'run.created');
  if (!created) throw new UsageError('journal has no run.created event', { hint: 'this is not a dingo-recover run folder' });
  const state = startState(created);
  for (const e of events) applyEvent(state, e);
  return state;
}
