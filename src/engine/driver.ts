/**
 * Starts or resumes a run: the run folder, the lock, the journal, the platform
 * (live or simulated), signals, and the final word to the operator.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Journal, openJournalForAppend, readJournal } from './journal.js';
import { replay } from './replay.js';
import { RunLock } from './lock.js';
import { createRunDir, JOURNAL_FILE, LOCK_FILE, listRunIds, loadRun, newRunId } from './runs.js';
import { abandonedInstance, applyChanges, changedOptions, journaledOptions } from './run-history.js';
import type { AdoptableInstance } from './context.js';
import { buildTranscript } from './transcript.js';
import { renderIncidentReport } from './incident-report.js';
import type { Runbook } from './runbook.js';
import { loadRunbook, type ActionRegistry } from './runbook.js';
import { execute } from './executor.js';
import { TerminalPrompter, UnattendedPrompter, type Prompter } from './prompts.js';
import { loadAnswers, type Answers } from './answers.js';
import { Reporter } from './reporter.js';
import { secrets } from '../core/redact.js';
import { DEFAULT_SETTINGS, type Settings } from './settings.js';
import { DingoError, EXIT, UsageError } from '../core/errors.js';
import type { Platform } from '../core/seams.js';
import type { LiveOptions } from './settings.js';

/**
 * Where a run's systems come from, given by the command layer: the live platform, or a
 * rehearsal's simulated world. The engine itself knows no system.
 */
export interface Platforms {
  /** A rehearsal scenario: its folder and the answers file that plays the operator. */
  scenario(dir: string): Promise<{ dir: string; answersFile?: string }>;
  open(run: { mode: 'live' | 'rehearsal'; runDir: string; scenarioDir?: string; live: LiveOptions | undefined }): Promise<Platform>;
}

export interface DriveOptions {
  platforms: Platforms;
  stateDir: string;
  out: Writable;
  /** New run: what to run. */
  start?: { mode: 'live' | 'rehearsal'; runbookFile: string; scenarioDir?: string; settings: Partial<Settings>; live?: LiveOptions };
  /** Existing run to resume. */
  resumeId?: string;
  /** Settings given to a resume: each that differs from the journaled one is journaled as a change. */
  override?: { settings: Partial<Settings>; live?: LiveOptions };
  answersFile?: string;
  yes: boolean;
  stealLock?: boolean;
  actions: ActionRegistry;
  /** Overrides terminal detection (tests). */
  prompter?: Prompter;
  /** Show every command, output, API call, evidence and note as the run goes (--verbose). */
  verbose?: boolean;
}

export interface DriveResult {
  runId: string;
  exitCode: number;
  outputs: Record<string, Record<string, unknown>>;
}

function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
}

export async function drive(o: DriveOptions): Promise<DriveResult> {
  let runId: string;
  let resumedDir: string | undefined;
  let mode: 'live' | 'rehearsal';
  let scenarioDir: string | undefined;
  let runbookFile: string;
  let settings: Settings;
  let live: LiveOptions | undefined;
  const resuming = o.resumeId !== undefined;
  let changes: Record<string, { from: unknown; to: unknown }> = {};
  let startedWithAnswers: string | undefined;

  if (o.resumeId !== undefined) {
    const run = loadRun(o.stateDir, o.resumeId);
    runId = run.runId;
    resumedDir = run.dir;
    const created = run.state.created;
    mode = created.mode;
    scenarioDir = created.scenario;
    runbookFile = created.runbook.file;
    startedWithAnswers = typeof created.options.answersFile === 'string' ? created.options.answersFile : undefined;
    const options = journaledOptions(run.events);
    changes = o.override
      ? changedOptions(options, {
          settings: o.override.settings as Record<string, unknown>,
          live: o.override.live as Record<string, unknown> | undefined,
        })
      : {};
    applyChanges(options, changes);
    settings = { ...DEFAULT_SETTINGS, ...(options.settings as Partial<Settings>) };
    live = options.live as LiveOptions;
    if (run.state.abandoned !== null) {
      throw new UsageError(`run ${runId} was abandoned (${run.state.abandoned}); it cannot be resumed`, {
        hint: 'start a new run (dingo-recover recover); it offers to adopt the instance this run created',
      });
    }
    if (run.status === 'done') {
      o.out.write(`run ${runId} is already done; \`dingo-recover show ${runId}\` prints its transcript\n`);
      return { runId, exitCode: EXIT.done, outputs: {} };
    }
  } else if (o.start) {
    runId = newRunId();
    mode = o.start.mode;
    scenarioDir = o.start.scenarioDir ? resolve(o.start.scenarioDir) : undefined;
    runbookFile = resolve(o.start.runbookFile);
    settings = { ...DEFAULT_SETTINGS, ...o.start.settings };
    live = o.start.live;
  } else {
    throw new UsageError('nothing to run');
  }

  // Everything the operator gave is checked before a new run exists: bad input leaves no run behind.
  const runbook = loadRunbook(runbookFile, o.actions);
  const scenario = mode === 'rehearsal' ? await o.platforms.scenario(scenarioDir!) : undefined;
  // A resume reads the answers file the run was started with, unless it is given another.
  const answersFile = o.answersFile
    ? resolve(o.answersFile)
    : (startedWithAnswers ?? (mode === 'rehearsal' && !interactive() ? scenario?.answersFile : undefined));
  const answers: Answers = loadAnswers(answersFile);
  const runDir = resumedDir ?? createRunDir(o.stateDir, runId);
  const lock = RunLock.acquire(join(runDir, LOCK_FILE), { steal: o.stealLock });
  const journalFile = join(runDir, JOURNAL_FILE);
  let journal: Journal;
  try {
    // A torn last event (crash or full disk mid-append) is kept aside and the journal cut back first.
    journal = resuming ? openJournalForAppend(journalFile, secrets) : new Journal(journalFile, secrets);
  } catch (err) {
    lock.release();
    throw err;
  }
  const events = journal.events();
  const reporter = new Reporter(o.out, secrets, mode === 'rehearsal', { verbose: o.verbose === true });
  if (lock.takenOver) {
    journal.append({ type: 'lock.taken', ...lock.takenOver });
    const p = lock.takenOver.previous;
    reporter.line(
      `took over the run lock (${lock.takenOver.how === 'steal' ? '--steal-lock' : 'its holder is gone'}) from ${p ? `${p.by} (host ${p.host}, pid ${p.pid}, since ${p.startedAt})` : 'an unreadable lock file'}; the old lock is kept at ${lock.keptAt}`,
    );
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    journal.append({ type: 'run.interrupted', signal });
    lock.release();
    reporter.close();
    o.out.write(`\ninterrupted (${signal}); resume with: dingo-recover resume ${runId}\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let platform: Platform | undefined;
  try {
    if (resuming) {
      const state = replay(events);
      if (state.created.runbook.sha256 !== runbook.sha256) {
        throw new UsageError(`the runbook ${runbookFile} changed since run ${runId} started`, {
          hint: 'resume with the runbook as it was (git checkout it), or start a new run',
        });
      }
      journal.append({ type: 'run.resumed' });
      if (Object.keys(changes).length) {
        journal.append({ type: 'settings.changed', changes });
        for (const [key, c] of Object.entries(changes))
          reporter.line(`setting ${key} changed for this resume: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
      }
    } else {
      journal.append({
        type: 'run.created',
        runId,
        runbook: { file: runbookFile, name: runbook.name, sha256: runbook.sha256 },
        mode,
        scenario: scenarioDir,
        options: { settings, live, stepCount: runbook.steps.length, answersFile },
      });
    }
    reporter.line(
      `dingo-recover ${resuming ? 'resumes' : 'starts'} run ${runId}: ${runbook.title}` +
        (mode === 'rehearsal'
          ? `\nREHEARSAL against the simulated platform of ${scenario!.dir}: ` +
            (reporter.verbose
              ? 'every command and API call below is exactly what a live run would make.'
              : 'its commands and API calls are exactly what a live run would make (--verbose shows them).')
          : ''),
    );
    reporter.line(`journal: ${journalFile}`);

    const suggestions = mode === 'rehearsal' && scenario?.answersFile ? loadAnswers(scenario.answersFile).inputs : {};
    const prompts = o.prompter ?? (interactive() ? new TerminalPrompter() : new UnattendedPrompter(answersFile));
    platform = await o.platforms.open({ mode, runDir, scenarioDir, live });

    const result = await execute({
      runbook,
      actions: o.actions,
      platform,
      runId,
      runDir,
      journal,
      events: journal.events(),
      answers,
      suggestions,
      yes: o.yes,
      adoptable: adoptableInstances(o.stateDir, runId, o.actions),
      prompts,
      reporter,
      redactor: secrets,
      settings,
      sleep: mode === 'rehearsal' ? () => new Promise((r) => setImmediate(r)) : (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    reporter.line('');
    reporter.line(`run ${runId} is done. Transcript: dingo-recover show ${runId}`);
    reporter.line(`incident report: ${writeIncidentReport(o.stateDir, runId, runbook)}`);
    return { runId, exitCode: EXIT.done, outputs: result.outputs };
  } catch (err) {
    const code = err instanceof DingoError ? err.exitCode : EXIT.stepFailed;
    reporter.line('');
    reporter.line(`stopped: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof DingoError && err.hint) reporter.line(`what to do: ${err.hint}`);
    if (code !== EXIT.badInput || resuming) reporter.line(`the run is saved; continue with: dingo-recover resume ${runId}`);
    if (!(err instanceof DingoError)) reporter.line(String((err as Error).stack ?? err));
    return { runId, exitCode: code, outputs: {} };
  } finally {
    reporter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await platform?.close().catch(() => undefined);
    journal.close();
    lock.release();
  }
}

export const REPORT_FILE = 'report.md';

/** Writes the run's incident report (Markdown) into its folder, and returns its path. */
export function writeIncidentReport(stateDir: string, runId: string, runbook: Runbook | null): string {
  const run = loadRun(stateDir, runId);
  const file = join(run.dir, REPORT_FILE);
  writeFileSync(file, renderIncidentReport(buildTranscript(run, runbook)), { mode: 0o600 });
  return file;
}

/** Instances created by the abandoned runs of this state folder (a new run may adopt one). */
function adoptableInstances(stateDir: string, self: string, actions: ActionRegistry): AdoptableInstance[] {
  const found: AdoptableInstance[] = [];
  for (const id of listRunIds(stateDir)) {
    if (id === self) continue;
    try {
      const instance = abandonedInstance(id, readJournal(join(stateDir, 'runs', id, JOURNAL_FILE)), actions);
      if (instance) found.push(instance);
    } catch {
      // an unreadable run is listed by `dingo-recover runs`; it offers nothing to adopt
    }
  }
  return found;
}

/** Ends a run on the record without finishing it, so a fresh run can start (and may adopt what it created). */
export function abandon(o: { stateDir: string; runId: string; reason: string; stealLock?: boolean; out: Writable }): number {
  const run = loadRun(o.stateDir, o.runId);
  if (run.status === 'done') throw new UsageError(`run ${o.runId} is already done; there is nothing to abandon`);
  if (run.state.abandoned) throw new UsageError(`run ${o.runId} was already abandoned`);
  if (!o.reason.trim())
    throw new UsageError('say why the run is abandoned: --reason TEXT', {
      hint: 'the reason is kept in the journal for whoever reads it later',
    });
  const lock = RunLock.acquire(join(run.dir, LOCK_FILE), { steal: o.stealLock });
  let journal: Journal;
  try {
    journal = openJournalForAppend(join(run.dir, JOURNAL_FILE), secrets);
  } catch (err) {
    lock.release();
    throw err;
  }
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
