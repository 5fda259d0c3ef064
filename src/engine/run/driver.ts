/**
 * Starts, resumes or abandons a run: checks what the operator gave before a run exists, makes the run
 * folder, opens the run's session (session.ts: the lock, the journal, the signals, and its followers,
 * which say the last words and tell --notify) and the platform (live or simulated, as the command layer
 * gives it), and runs the steps inside it.
 */
import { commandLine } from '../../core/command-line.js';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { EXIT, UsageError } from '../../core/errors.js';
import type { Runtime } from '../../core/runtime.js';
import type { Platform } from '../../core/seams.js';
import { loadAnswers } from '../operator/answers.js';
import { checkAnswers } from '../operator/answers-check.js';
import { execute } from '../executor/execute.js';
import type { ScenarioRecorder } from '../executor/scenario-recorder.js';
import { TerminalPrompter, UnattendedPrompter, type Prompter } from '../operator/prompts.js';
import { greeting } from './greeting.js';
import { journalStart } from './start.js';
import { runProduced, type RunProduced } from './outputs.js';
import type { Notifier } from './notice.js';
import { adoptableInstances } from './history.js';
import { planRun, type RunRequest } from './plan.js';
import { loadRunbook, type ActionRegistry } from '../runbook/runbook.js';
import { parseCorrections, withCorrections, withGivenInputs } from '../executor/input-corrections.js';
import { checkCorrections, checkGivenInputs, givenChoices, type GivenValues } from './one-source.js';
import { createRunDir, loadRun } from './runs.js';
import type { LiveOptions } from '../runbook/settings.js';
import { interactive } from '../operator/terminal.js';
import { lockAndOpen, RunSession } from './session.js';
import { closingWords, notices, recordedScenario } from './session-followers.js';

/**
 * Where a run's systems come from, given by the command layer: the live platform, or a
 * rehearsal's simulated world. The engine itself knows no system.
 */
export interface Platforms<S extends RehearsalScenario = RehearsalScenario> {
  /** A rehearsal's scenario, read once: the world it opens is built from this same reading. */
  scenario(dir: string): Promise<S>;
  open(run: {
    mode: 'live' | 'rehearsal';
    runDir: string;
    scenario: S | undefined;
    live: LiveOptions | undefined;
    /** The run's clock, redactor and scratch folder, which the systems it opens work with. */
    runtime: Runtime;
  }): Promise<Platform>;
}

/** What the engine reads of a rehearsal scenario: its folder and the answers file that plays the operator. */
export interface RehearsalScenario {
  dir: string;
  answersFile?: string;
}

export interface DriveOptions<S extends RehearsalScenario = RehearsalScenario> extends RunRequest {
  platforms: Platforms<S>;
  /** The scenario of a new rehearsal, when the command has already read it (else read from `start.scenarioDir`). */
  scenario?: S;
  out: Writable;
  answersFile?: string;
  /** Answers corrected on a resume (`--set key=VALUE`, as given), over the answers file's. */
  corrections?: readonly string[];
  yes: boolean;
  stealLock?: boolean;
  actions: ActionRegistry;
  /** Overrides terminal detection (tests). */
  prompter?: Prompter;
  /** Show every command, output, API call, evidence and note as the run goes (--verbose). */
  verbose?: boolean;
  /** Stop before the first step that would change the platform (--plan). */
  plan?: boolean;
  /** Write the platform as the run found it as a rehearsal scenario (--record DIR). */
  record?: ScenarioRecorder;
  /** The program and its version (`dingo-recover 1.2.3`), journaled when a run starts or resumes, for its report. */
  tool?: string;
  /** The person driving this run or resume, journaled: a shared login does not say who confirmed what. */
  operator?: string;
  /** Where to tell how the run stands (--notify): started, waiting for the operator, failed, done. */
  notifier?: Notifier;
  /** The clock, environment, redactor and operator of this process, made once by the command layer. */
  runtime: Runtime;
}

export interface DriveResult {
  runId: string;
  exitCode: number;
  outputs: Record<string, Record<string, unknown>>;
  /** What the run produced, as its runbook declares it (none for a run found done already). */
  produced?: RunProduced;
  /** The step a run that stopped is at (waiting, failed, planned). */
  step?: string | null;
}

export async function drive<S extends RehearsalScenario>(o: DriveOptions<S>): Promise<DriveResult> {
  const plan = planRun(o, o.runtime.clock.now());
  const { runtime } = o;
  const { redactor } = runtime;
  // The bucket the operator pinned names a thing: it is shown, whatever a log line registered.
  if (plan.settings.walBucket) redactor.keepVisible(plan.settings.walBucket);
  const { runId, mode } = plan;
  const resuming = o.resumeId !== undefined;
  if (plan.done) {
    o.out.write(`run ${runId} is already done; \`${commandLine(['show', runId])}\` prints its transcript\n`);
    return { runId, exitCode: EXIT.done, outputs: {} };
  }
  // Everything the operator gave is checked before a new run exists: bad input leaves no run behind.
  // A missing or bad scenario is reported before a bad runbook: the runbook may be the one it names.
  const scenario = mode === 'rehearsal' ? (o.scenario ?? (await o.platforms.scenario(plan.scenarioDir!))) : undefined;
  const runbook = loadRunbook(plan.runbookFile, o.actions);
  // A rehearsal started with --yes runs as it would where nobody could type, at a terminal too: the operator
  // asked not to be stopped, and the scenario knows what its user would say. A resume at a terminal still
  // asks again an answer a step failed on.
  const unattended = !interactive() || (mode === 'rehearsal' && o.yes && !resuming);
  // A resume reads the answers file the run was started with, unless it is given another; an unattended
  // rehearsal reads its scenario's.
  const answersFile = o.answersFile
    ? resolve(o.answersFile)
    : (plan.startedWithAnswers ?? (mode === 'rehearsal' && unattended ? scenario?.answersFile : undefined));
  const fileAnswers = loadAnswers(answersFile, redactor);
  const corrections = parseCorrections(o.corrections, runbook);
  const answers = withGivenInputs(withCorrections(fileAnswers, corrections), plan.givenInputs);
  // One value, one source: what the command line gives and the answers file or the journal says must agree.
  const given: GivenValues = {
    runId,
    runbook,
    answersFile,
    operatorsFile: answersFile !== undefined && answersFile !== (scenario?.answersFile && resolve(scenario.answersFile)),
    answers: fileAnswers,
    settings: plan.settings,
    givenInputs: plan.givenInputs,
    inputFlags: plan.inputFlags,
    corrections,
    state: plan.state,
  };
  // A --set value is checked as --set's, before the answers file: each names where it was given.
  checkCorrections(given);
  checkAnswers(answersFile, withGivenInputs(fileAnswers, plan.givenInputs), runbook, o.actions);
  checkGivenInputs(given);
  const choices = givenChoices(given);
  const runDir = plan.resumedDir ?? createRunDir(o.stateDir, runId);
  const session = new RunSession({
    stateDir: o.stateDir,
    runId,
    runDir,
    runbook,
    mode,
    resuming,
    out: o.out,
    runtime,
    stealLock: o.stealLock,
    verbose: o.verbose,
  });
  session.follow(closingWords(session), recordedScenario(session), notices(session, o.notifier, o.operator));
  const { journal, reporter } = session;

  let platform: Platform | undefined;
  let runDone = false;
  try {
    journalStart(plan, resuming, runbook, journal, reporter, { answersFile, operator: o.operator, tool: o.tool, actions: o.actions });
    reporter.line(greeting(plan, resuming, runbook, reporter, scenario?.dir, journal.file));
    await session.started();

    const suggestions = mode === 'rehearsal' && scenario?.answersFile ? loadAnswers(scenario.answersFile, redactor).inputs : {};
    const prompts = o.prompter ?? (unattended ? new UnattendedPrompter(choices.answersFile, runId) : new TerminalPrompter());
    platform = await o.platforms.open({ mode, runDir, scenario, live: plan.live, runtime });

    const result = await execute({
      runbook,
      actions: o.actions,
      platform,
      runId,
      runDir,
      journal,
      events: journal.events(),
      answers,
      choices,
      corrected: Object.keys(corrections),
      suggestions,
      yes: o.yes,
      plan: o.plan,
      record: o.record,
      live: plan.live,
      adoptable: adoptableInstances(o.stateDir, runId, o.actions),
      prompts,
      reporter,
      runtime,
      settings: plan.settings,
      sleep: mode === 'rehearsal' ? () => new Promise((r) => setImmediate(r)) : (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    const exitCode = await session.done();
    runDone = true;
    return { runId, exitCode, outputs: result.outputs, produced: runProduced(runbook, journal.events()) };
  } catch (err) {
    const exitCode = await session.stopped(err);
    return { runId, exitCode, outputs: {}, produced: runProduced(runbook, journal.events()), step: session.step() };
  } finally {
    await platform?.close({ runDone }).catch(() => undefined);
    session.close();
  }
}

/** Ends a run on the record without finishing it, so a fresh run can start (and may adopt what it created). */
export function abandon(o: {
  stateDir: string;
  runId: string;
  reason: string;
  stealLock?: boolean;
  out: Writable;
  runtime: Runtime;
}): number {
  const run = loadRun(o.stateDir, o.runId);
  if (run.status === 'done') throw new UsageError(`run ${o.runId} is already done; there is nothing to abandon`);
  if (run.state.abandoned) throw new UsageError(`run ${o.runId} was already abandoned`);
  if (!o.reason.trim())
    throw new UsageError('say why the run is abandoned: --reason TEXT', {
      hint: 'the reason is kept in the journal for whoever reads it later',
    });
  const { lock, journal } = lockAndOpen(run.dir, true, o.stealLock, o.runtime);
  try {
    if (lock.takenOver) journal.append({ type: 'lock.taken', ...lock.takenOver });
    journal.append({ type: 'run.abandoned', reason: o.reason.trim() });
  } finally {
    journal.close();
    lock.release();
  }
  o.out.write(`run ${o.runId} is abandoned: ${o.reason.trim()}\n`);
  o.out.write(
    'nothing on the platform was changed by abandoning it; a new run that finds an instance this run created offers to adopt it\n',
  );
  return EXIT.done;
}
