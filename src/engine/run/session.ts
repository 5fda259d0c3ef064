/**
 * A run's session: one start or resume, from the lock taken to the lock let go. The session holds the
 * lock, the journal, the screen and the stop signals, journals how it ends, and tells its followers
 * each turn it takes: it started, a signal stopped it, it ended (done, or stopped by a step: failed,
 * waiting for the operator, at its plan, interrupted at a question). The screen's closing words, the
 * recorded scenario's line and the --notify notices are followers (session-followers.ts); the driver
 * opens a session and runs the steps inside it.
 */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { commandLine } from '../../core/command-line.js';
import { DingoError, EXIT, Interrupted, isClosedOutput, messageOf, uncaughtReport } from '../../core/errors.js';
import type { Runtime } from '../../core/runtime.js';
import { signalWords } from '../../core/signals.js';
import { stopUndos, type StopUndos } from '../../core/stop-undo.js';
import { onWaiting } from '../../core/waits.js';
import { Journal, openJournalForAppend } from '../journal/journal.js';
import { Reporter } from '../operator/reporter.js';
import { writeIncidentReport } from '../report/report-file.js';
import { warnedSteps } from '../report/run-outcome.js';
import type { Transcript } from '../report/transcript-model.js';
import type { Runbook } from '../runbook/runbook.js';
import { RunLock } from './lock.js';
import { currentStep } from './notice.js';
import { JOURNAL_FILE, LOCK_FILE } from './runs.js';

/** How a session ended: done (with the run's report), or stopped by `error`. */
export type SessionEnd =
  | { how: 'done'; exitCode: number; transcript: Transcript; reportFile: string; sessionMs: number }
  | { how: 'stopped'; exitCode: number; error: unknown };

/** What follows a session: each is told the turns it takes, in the order the followers were added. */
export interface SessionFollower {
  started?(): Promise<void>;
  /** A stop signal: synchronous, as nothing of the run may go on and the process ends right after. */
  interrupted?(signal: NodeJS.Signals): void;
  ended?(end: SessionEnd): Promise<void>;
}

/** What a session is about: its run, the runbook it runs, how it runs and who drives it. */
export interface SessionOf {
  stateDir: string;
  runId: string;
  runDir: string;
  runbook: Runbook;
  mode: 'live' | 'rehearsal';
  resuming: boolean;
  out: Writable;
  runtime: Runtime;
  stealLock?: boolean;
  verbose?: boolean;
  /** What a stop signal removes from the platform before the process exits; default: the process's own. */
  undos?: StopUndos;
}

/** Takes the run's lock, then opens its journal (repairing a torn last event of a resumed one); the lock is let go if that fails. */
export function lockAndOpen(
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

/**
 * How long a stopped session removes what it made on the platform (a drill's container on a cell)
 * before it exits: a `docker rm` over ssh takes seconds, over v1's `bosh ssh` two director tasks.
 */
const STOP_UNDO_MS = 60_000;

/** The exit code of a session a step stopped with `err`. */
function stoppedExitCode(err: unknown): number {
  return err instanceof DingoError ? err.exitCode : EXIT.stepFailed;
}

export class RunSession {
  readonly lock: RunLock;
  readonly journal: Journal;
  readonly reporter: Reporter;
  private readonly followers: SessionFollower[] = [];
  private readonly began = performance.now();
  private readonly stopListening: () => void;
  private readonly stopCrashListening: () => void;
  private readonly stopWaitNotices: () => void;
  /** A stop signal came: what the session made on the platform is being removed before it exits. */
  private stopping = false;
  private readonly undos: StopUndos;

  constructor(readonly of: SessionOf) {
    const { runtime } = of;
    this.undos = of.undos ?? stopUndos;
    ({ lock: this.lock, journal: this.journal } = lockAndOpen(of.runDir, of.resuming, of.stealLock, runtime, of.mode !== 'rehearsal'));
    this.reporter = new Reporter(of.out, runtime.redactor, of.mode === 'rehearsal', { verbose: of.verbose === true });
    this.announceTakeover();
    // A lost SSH session or a closed terminal (SIGHUP) stops the run as Ctrl-C and SIGTERM do: on the record,
    // notified and resumable, where the default would end the process without a word.
    this.stopListening = runtime.process.onStop((signal) => {
      this.interrupted(signal);
    });
    // An error nothing caught (a library's event no one listens for) ends the process: on the record first.
    this.stopCrashListening = runtime.process.onCrash((err) => this.crashed(err));
    of.out.on('error', this.onOutputClosed);
    // A request that waits long (a stalled S3) is said on the step's screen, not under it on standard error.
    this.stopWaitNotices = onWaiting((text) => {
      this.reporter.notice(`waiting: ${text}`);
    });
  }

  /** The step the run is at (waiting, failed, or the last one started), from its journal. */
  step(): string | null {
    return currentStep(
      this.journal.events(),
      this.of.runbook.steps.map((s) => s.id),
    );
  }

  /** Adds a follower, told after those added before it. */
  follow(...followers: SessionFollower[]): this {
    this.followers.push(...followers);
    return this;
  }

  async started(): Promise<void> {
    for (const f of this.followers) await f.started?.();
  }

  /** The run is done: its report is written, and the exit code says whether a step could not do all its work. */
  async done(): Promise<number> {
    // A stop signal's session is removing what it made on the platform: it ends the process itself.
    await this.undos.held();
    const report = writeIncidentReport(this.of.stateDir, this.of.runId, this.of.runbook);
    // A step that could not do all its work (in this session or an earlier one) makes the run done with warnings.
    const exitCode = warnedSteps(report.transcript).length ? EXIT.doneWithWarnings : EXIT.done;
    await this.tell({
      how: 'done',
      exitCode,
      transcript: report.transcript,
      reportFile: report.file,
      sessionMs: performance.now() - this.began,
    });
    return exitCode;
  }

  /** A step stopped the session (a Ctrl-C at a question as an interruption): on the record; its exit code. */
  async stopped(error: unknown): Promise<number> {
    // A step that failed because a stop signal's session removed what it used: the signal ends the process.
    await this.undos.held();
    const exitCode = stoppedExitCode(error);
    if (error instanceof Interrupted) this.journal.append({ type: 'run.interrupted', signal: 'SIGINT', atQuestion: true });
    else this.journal.append({ type: 'run.stopped', exitCode, error: messageOf(error) });
    await this.tell({ how: 'stopped', exitCode, error });
    return exitCode;
  }

  /** Lets everything go: the screen, the signals, the journal, the lock. */
  close(): void {
    this.reporter.close();
    this.stopListening();
    this.stopCrashListening();
    this.stopWaitNotices();
    this.of.out.off('error', this.onOutputClosed);
    this.journal.close();
    this.lock.release();
  }

  private async tell(end: SessionEnd): Promise<void> {
    for (const f of this.followers) await f.ended?.(end);
  }

  private announceTakeover(): void {
    const { lock } = this;
    if (!lock.takenOver) return;
    this.journal.append({ type: 'lock.taken', ...lock.takenOver });
    const p = lock.takenOver.previous;
    this.reporter.line(
      `took over the run lock (${lock.takenOver.how === 'steal' ? '--steal-lock' : 'its holder is gone'}) from ${p ? `${p.by} (host ${p.host}, pid ${p.pid}, since ${p.startedAt})` : 'an unreadable lock file'}; the old lock is kept at ${lock.keptAt}`,
    );
  }

  private interrupted(signal: NodeJS.Signals): void {
    const { runId, out, runtime } = this.of;
    // A second signal while what the first stopped is being removed: the operator will not wait.
    if (this.stopping) {
      this.exitInterrupted();
      return;
    }
    this.stopping = true;
    this.journal.append({ type: 'run.interrupted', signal });
    this.reporter.close();
    out.write(`\ninterrupted (${signalWords(signal)}); resume with: ${commandLine(['resume', runId])}\n`);
    for (const f of this.followers) f.interrupted?.(signal);
    if (!this.undos.whatIsPending().length) {
      this.exitInterrupted();
      return;
    }
    out.write(
      `removing what this session made on the platform first; a second ${signal} stops at once, leaving it for resume or abandon to name:\n`,
    );
    const say = (line: string): void => {
      out.write(runtime.redactor.redact(`  ${line}\n`));
    };
    // The first signal's listener is gone (a signal is heard once): the second is heard here, and ends the process
    // as an exit does, its local copies removed (core/exit-cleanup.ts), not by the signal's default.
    runtime.process.onStop(() => {
      this.exitInterrupted();
    });
    void this.undos.stop(say, STOP_UNDO_MS).finally(() => {
      this.exitInterrupted();
    });
  }

  private exitInterrupted(): void {
    this.lock.release();
    this.of.runtime.process.exit(EXIT.interrupted);
  }

  /**
   * An error nothing caught ends the process (exit 1): the run stops on the record, its lock let go,
   * and the error is shown redacted with every secret the run registered, with how to go on. The
   * step it was in is taken up on resume as after a crash, never repeated blindly.
   */
  private crashed(err: unknown): boolean {
    const { runId, out, runtime } = this.of;
    this.journal.append({ type: 'run.stopped', exitCode: EXIT.stepFailed, error: messageOf(err) });
    this.reporter.close();
    out.write(runtime.redactor.redact(`\n${uncaughtReport(err)}\nthe run is saved; continue with: ${commandLine(['resume', runId])}\n`));
    this.lock.release();
    return true;
  }

  // The screen's reader went away (`| head`, a pager quit): no confirmation could be seen any more, so
  // the run stops as interrupted, on the record and resumable, as a shell stops a program on SIGPIPE.
  private readonly onOutputClosed = (err: unknown): void => {
    if (!isClosedOutput(err)) throw err;
    // Stopped by a signal that closed the terminal too (SIGHUP): what it made is still removed, unseen.
    if (this.stopping) return;
    const { runId, runtime } = this.of;
    this.journal.append({ type: 'run.interrupted', signal: 'SIGPIPE' });
    this.lock.release();
    runtime.process.exit(
      EXIT.outputClosed,
      `dingo-recover: the output was closed; run ${runId} is interrupted. Resume with: ${commandLine(['resume', runId])}`,
    );
  };
}
