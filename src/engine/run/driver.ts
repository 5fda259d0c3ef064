/**
 * Starts, resumes or abandons a run: the run folder, the lock, the journal, the platform
 * (live or simulated, as the command layer gives it), signals, and the final word to the operator.
 */
import { commandLine } from '../../core/command-line.js';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { STOP_SIGNALS, signalWords } from '../../core/signals.js';
import { DingoError, EXIT, Interrupted, UsageError, isClosedOutput, messageOf } from '../../core/errors.js';
import type { Runtime } from '../../core/runtime.js';
import type { Platform } from '../../core/seams.js';
import { loadAnswers } from '../operator/answers.js';
import { checkAnswers } from '../operator/answers-check.js';
import { execute } from './executor.js';
import { recordedLines } from './executor-record.js';
import type { ScenarioRecorder } from './scenario-recorder.js';
import { Journal, openJournalForAppend } from '../journal/journal.js';
import { RunLock } from './lock.js';
import { TerminalPrompter, UnattendedPrompter, type Prompter } from '../operator/prompts.js';
import { greeting, journalStart } from './run-start.js';
import { runProduced, type RunProduced } from './run-outputs.js';
import { currentStep, sendNotice, sendNoticeBlocking, type Notifier, type NoticeState, type RunNotice } from './run-notice.js';
import { writeIncidentReport } from '../report/report-file.js';
import { doneLines, doneNotice, warnedSteps } from '../report/run-outcome.js';
import { Reporter } from '../operator/reporter.js';
import { adoptableInstances } from './run-history.js';
import { planRun, type RunRequest } from './run-plan.js';
import { loadRunbook, type ActionRegistry, type Runbook } from '../runbook/runbook.js';
import { correctionHint, withCorrections, withGivenInputs } from './input-corrections.js';
import { createRunDir, JOURNAL_FILE, LOCK_FILE, loadRun } from './runs.js';
import type { LiveOptions } from '../runbook/settings.js';
import { interactive } from '../operator/terminal.js';

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
  /** Answers corrected on a resume (`--set key=VALUE`), over the answers file's. */
  corrections?: Record<string, string>;
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

/** Takes the run's lock, then opens its journal (repairing a torn last event of a resumed one); the lock is let go if that fails. */
function lockAndOpen(
  runDir: string,
  resuming: boolean,
  stealLock: boolean | undefined,
  runtime: Runtime,
  durable = true,
): { lock: RunLock; journal: Journal } {
  const lock = RunLock.acquire(join(runDir, LOCK_FILE), { steal: stealLock, clock: runtime.clock });
  const journalFile = join(runDir, JOURNAL_FILE);
  try {
    // A torn last event (crash or full disk mid-append) is kept aside and the journal cut back first.
    return {
      lock,
      journal: resuming ? openJournalForAppend(journalFile, runtime, durable) : new Journal(journalFile, runtime, [], durable),
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

function announceTakeover(lock: RunLock, journal: Journal, reporter: Reporter): void {
  if (!lock.takenOver) return;
  journal.append({ type: 'lock.taken', ...lock.takenOver });
  const p = lock.takenOver.previous;
  reporter.line(
    `took over the run lock (${lock.takenOver.how === 'steal' ? '--steal-lock' : 'its holder is gone'}) from ${p ? `${p.by} (host ${p.host}, pid ${p.pid}, since ${p.startedAt})` : 'an unreadable lock file'}; the old lock is kept at ${lock.keptAt}`,
  );
}

/** The closing lines of a run that stopped, on the record (a Ctrl-C at a prompt as an interruption), and its exit code. */
function stopped(err: unknown, reporter: Reporter, runId: string, resuming: boolean, journal: Journal, runbook: Runbook): number {
  const code = err instanceof DingoError ? err.exitCode : EXIT.stepFailed;
  if (err instanceof Interrupted) journal.append({ type: 'run.interrupted', signal: 'SIGINT', atQuestion: true });
  else journal.append({ type: 'run.stopped', exitCode: code, error: messageOf(err) });
  reporter.line('');
  reporter.line(`stopped: ${err instanceof Error ? err.message : String(err)}`);
  if (err instanceof DingoError && err.hint) reporter.line(`what to do: ${err.hint}`);
  const correction = correctionHint(runbook, journal.state(), runId);
  if (correction) reporter.line(correction);
  for (const l of recordedLines(journal.events())) reporter.line(l);
  if (code !== EXIT.badInput || resuming) reporter.line(`the run is saved; continue with: ${commandLine(['resume', runId])}`);
  if (!(err instanceof DingoError)) reporter.line(err instanceof Error ? (err.stack ?? String(err)) : String(err));
  return code;
}

/** How a run that stopped with `exitCode` stands, for --notify. */
function noticeStateOf(exitCode: number): NoticeState {
  if (exitCode === EXIT.needsOperator) return 'waiting';
  if (exitCode === EXIT.done) return 'planned';
  return exitCode === EXIT.interrupted ? 'interrupted' : 'failed';
}

export async function drive<S extends RehearsalScenario>(o: DriveOptions<S>): Promise<DriveResult> {
  const began = performance.now();
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
  const answers = withGivenInputs(withCorrections(loadAnswers(answersFile, redactor), o.corrections ?? {}, runbook), plan.givenInputs);
  checkAnswers(answersFile, answers, runbook, o.actions);
  const runDir = plan.resumedDir ?? createRunDir(o.stateDir, runId);
  const { lock, journal } = lockAndOpen(runDir, resuming, o.stealLock, runtime, mode !== 'rehearsal');
  const reporter = new Reporter(o.out, redactor, mode === 'rehearsal', { verbose: o.verbose === true });
  announceTakeover(lock, journal, reporter);

  const onSignal = (signal: NodeJS.Signals): void => {
    journal.append({ type: 'run.interrupted', signal });
    reporter.close();
    o.out.write(`\ninterrupted (${signalWords(signal)}); resume with: ${commandLine(['resume', runId])}\n`);
    // Blocking: no step goes on while the webhook is told (a second Ctrl-C ends it at once).
    sendNoticeBlocking(
      o.notifier,
      () => notice('interrupted', EXIT.interrupted, `stopped by ${signalWords(signal)}`),
      journal,
      (l) => {
        o.out.write(`${l}\n`);
      },
    );
    lock.release();
    process.exit(EXIT.interrupted);
  };
  // The screen's reader went away (`| head`, a pager quit): no confirmation could be seen any more, so
  // the run stops as interrupted, on the record and resumable, as a shell stops a program on SIGPIPE.
  const onOutputClosed = (err: unknown): void => {
    if (!isClosedOutput(err)) throw err;
    journal.append({ type: 'run.interrupted', signal: 'SIGPIPE' });
    lock.release();
    process.stderr.write(
      `dingo-recover: the output was closed; run ${runId} is interrupted. Resume with: ${commandLine(['resume', runId])}\n`,
    );
    process.exit(EXIT.outputClosed);
  };
  const noticeOf = (state: NoticeState, exitCode: number | null = null, err?: unknown): RunNotice => ({
    state,
    runId,
    runbook: runbook.name,
    mode,
    resumed: resuming,
    step: currentStep(
      journal.events(),
      runbook.steps.map((s) => s.id),
    ),
    exitCode,
    message: err === undefined ? null : messageOf(err),
    operator: o.operator ?? null,
    ...runProduced(runbook, journal.events()),
  });
  // Told outside the run (a webhook): redacted with the run's secrets, which the notifier does not know.
  const notice = (...a: Parameters<typeof noticeOf>): RunNotice => redactor.redactValue(noticeOf(...a));
  // A lost SSH session or a closed terminal (SIGHUP) stops the run as Ctrl-C and SIGTERM do: on the record,
  // notified and resumable, where the default would end the process without a word.
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  o.out.on('error', onOutputClosed);

  let platform: Platform | undefined;
  try {
    journalStart(plan, resuming, runbook, journal, reporter, { answersFile, operator: o.operator, tool: o.tool });
    reporter.line(greeting(plan, resuming, runbook, reporter, scenario?.dir, journal.file));
    await sendNotice(o.notifier, () => notice('started'), journal, reporter);

    const suggestions = mode === 'rehearsal' && scenario?.answersFile ? loadAnswers(scenario.answersFile, redactor).inputs : {};
    const prompts = o.prompter ?? (unattended ? new UnattendedPrompter(answersFile) : new TerminalPrompter());
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
      corrected: Object.keys(o.corrections ?? {}),
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
    const report = writeIncidentReport(o.stateDir, runId, runbook);
    const done = doneLines(report.transcript, performance.now() - began, report.file);
    for (const l of done) reporter.line(l);
    for (const l of recordedLines(journal.events())) reporter.line(l);
    // A step that could not do all its work (in this session or an earlier one) makes the run done with warnings.
    const exitCode = warnedSteps(report.transcript).length ? EXIT.doneWithWarnings : EXIT.done;
    await sendNotice(o.notifier, () => ({ ...notice('done', exitCode), message: doneNotice(report.transcript) }), journal, reporter);
    return { runId, exitCode, outputs: result.outputs, produced: runProduced(runbook, journal.events()) };
  } catch (err) {
    const exitCode = stopped(err, reporter, runId, resuming, journal, runbook);
    const state = noticeStateOf(exitCode);
    // A journal that cannot be written any more (the reason it stopped, maybe) leaves the exit code as it is.
    await sendNotice(o.notifier, () => notice(state, exitCode, err), journal, reporter).catch(() => undefined);
    return {
      runId,
      exitCode,
      outputs: {},
      produced: runProduced(runbook, journal.events()),
      step: currentStep(
        journal.events(),
        runbook.steps.map((s) => s.id),
      ),
    };
  } finally {
    reporter.close();
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    o.out.off('error', onOutputClosed);
    await platform?.close().catch(() => undefined);
    journal.close();
    lock.release();
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
