/** What the executor is given to run a runbook, and what its parts share while it runs. */
import type { ActionDef } from '../runbook/action.js';
import type { Answers } from '../operator/answers.js';
import type { AdoptableInstance, StepContext } from './context.js';
import type { Journal } from '../journal/journal.js';
import type { JournalEvent } from '../journal/journal-events.js';
import type { KeyedMutex } from './keyed-mutex.js';
import type { Prompter } from '../operator/prompts.js';
import type { RunState, StepState } from '../journal/replay.js';
import type { Reporter } from '../operator/reporter.js';
import type { ActionRegistry, Runbook, StepDef } from '../runbook/runbook.js';
import type { LiveOptions, Settings } from '../runbook/settings.js';
import type { ScenarioRecorder } from './scenario-recorder.js';
import type { ChoiceDef } from '../runbook/runbook-model.js';
import type { ChoiceSources } from './choices.js';
import type { StepScreen } from '../operator/step-screen.js';
import type { Scope } from '../runbook/template.js';
import type { Platform } from '../../core/seams.js';
import type { Runtime } from '../../core/runtime.js';

export interface ExecuteOptions {
  runbook: Runbook;
  actions: ActionRegistry;
  platform: Platform;
  runId: string;
  runDir: string;
  journal: Journal;
  events: JournalEvent[];
  answers: Answers;
  /** The choices given before the run (the answers file's, the command line's), reconciled, and where to add one. */
  choices?: ChoiceSources;
  /** Inputs among `answers` given by `resume --set` (corrections of an answer where a step failed). */
  corrected?: readonly string[];
  /** Proposed answers (a rehearsal scenario's), offered as defaults when asking on a terminal. */
  suggestions?: Record<string, unknown>;
  /** Instances created by abandoned runs, which this run may adopt. */
  adoptable?: readonly AdoptableInstance[];
  /** Accept every confirmation (the operator said --yes). */
  yes: boolean;
  /** Stop before the first step that would change the platform, listing the steps from there (--plan). */
  plan?: boolean;
  /** Write the platform as the run found it as a rehearsal scenario, before its first change (--record DIR). */
  record?: ScenarioRecorder;
  /** How the live systems are reached (journaled with the run); the recorder reads the S3 region from it. */
  live?: LiveOptions;
  prompts: Prompter;
  reporter: Reporter;
  /** The clock, environment, redactor and operator the steps and the journal share. */
  runtime: Runtime;
  settings: Settings;
  sleep(ms: number): Promise<void>;
}

export interface ExecuteResult {
  state: RunState;
  outputs: Record<string, Record<string, unknown>>;
}

/** Time the operator spent at prompts: a step's duration is its work, not the operator's thinking. */
export interface PromptClock {
  ms: number;
}

/** The run being executed, as every part of the executor sees it. */
export interface Run {
  /** The options, with prompts timed (see executor-prompts.ts). */
  opts: ExecuteOptions;
  clock: PromptClock;
  /** Where --record writes its scenario: before the first step that changes the platform (executor-record.ts). */
  record: { before(seq: Sequence, index: number): Promise<void> };
  /** The context of the step `stepId` (its full id), its commands recorded under that id and shown on `screen`. */
  contextFor(stepId: string, screen: StepScreen, prompts: Prompter, choose?: readonly ChoiceDef[]): StepContext;
}

/** Steps run one after the other: the runbook's own, or a for-each item's. */
export interface Sequence {
  steps: readonly StepDef[];
  /** Inputs and outputs the steps' references read (an item's: the sub-runbook's inputs, its own steps' outputs). */
  scope: Scope;
  /** What each step id is prefixed with in the journal: '' for the runbook's own steps, `FOR_EACH_ID/KEY/` for an item's. */
  prefix: string;
  screen: StepScreen;
  prompts: Prompter;
  item?: ItemRun;
}

/** What a for-each item's steps know of the for-each. */
interface ItemRun {
  key: string;
  /** The step whose confirmation covers the item steps' confirm blocks (forEach.confirmedBy). */
  coveredBy?: string;
  /** Steps with equal `exclusive` values (across the items) run one at a time. */
  exclusive: KeyedMutex;
  /** Called as each step of the item begins (the item's failing step is the last one begun). */
  onStep(stepId: string): void;
}

/** The step being run: its definition, its full id in the journal, its action, context and journaled state. */
export interface StepRun {
  step: StepDef;
  id: string;
  action: ActionDef;
  ctx: StepContext;
  prior: StepState;
  /** What the resume policy decided before the step ran: run it, or probe an earlier attempt first. */
  decision: 'run' | 'probe';
}
