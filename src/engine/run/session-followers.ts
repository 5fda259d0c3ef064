/**
 * What follows a run's session: the screen's closing words, the line about the recorded scenario, and
 * the --notify notices. Each is told the session's turns (session.ts) and adds nothing to the run itself.
 */
import { commandLine } from '../../core/command-line.js';
import { DingoError, EXIT, messageOf } from '../../core/errors.js';
import { signalWords } from '../../core/signals.js';
import { doneLines, doneNotice } from '../report/run-done.js';
import { recordedLines } from '../executor/record.js';
import { correctionHint } from '../executor/input-corrections.js';
import { runProduced } from './outputs.js';
import { sendNotice, sendNoticeBlocking, type NoticeState, type Notifier, type RunNotice } from './notice.js';
import type { RunSession, SessionFollower } from './session.js';

/** The screen's last words: how long the done run took and what is left, or why it stopped and how to go on. */
export function closingWords(session: RunSession): SessionFollower {
  const { reporter, journal } = session;
  const { runId, runbook, resuming } = session.of;
  return {
    ended(end) {
      if (end.how === 'done') {
        for (const l of doneLines(end.transcript, end.sessionMs, end.reportFile)) reporter.line(l);
        return Promise.resolve();
      }
      const { error, exitCode } = end;
      reporter.line('');
      reporter.line(`stopped: ${error instanceof Error ? error.message : String(error)}`);
      if (error instanceof DingoError && error.hint) reporter.line(`what to do: ${error.hint}`);
      const correction = correctionHint(runbook, journal.state(), runId);
      if (correction) reporter.line(correction);
      if (exitCode !== EXIT.badInput || resuming) reporter.line(`the run is saved; continue with: ${commandLine(['resume', runId])}`);
      if (!(error instanceof DingoError)) reporter.line(error instanceof Error ? (error.stack ?? String(error)) : String(error));
      return Promise.resolve();
    },
  };
}

/** The line about the scenario --record wrote (or why none was), however the session ended. */
export function recordedScenario(session: RunSession): SessionFollower {
  return {
    ended() {
      for (const l of recordedLines(session.journal.events())) session.reporter.line(l);
      return Promise.resolve();
    },
  };
}

/** How a session that stopped with `exitCode` stands, for --notify. */
function noticeStateOf(exitCode: number): NoticeState {
  if (exitCode === EXIT.needsOperator) return 'waiting';
  if (exitCode === EXIT.done) return 'planned';
  return exitCode === EXIT.interrupted ? 'interrupted' : 'failed';
}

/** --notify: told when the session starts, is stopped by a signal, stops or is done; every outcome journaled. */
export function notices(session: RunSession, notifier: Notifier | undefined, operator: string | undefined): SessionFollower {
  if (!notifier) return {};
  const { journal, reporter } = session;
  const { runId, runbook, mode, resuming, out, runtime } = session.of;
  // Told outside the run (a webhook): redacted with the run's secrets, which the notifier does not know.
  const notice = (state: NoticeState, exitCode: number | null = null, message: string | null = null): RunNotice =>
    runtime.redactor.redactValue({
      state,
      runId,
      runbook: runbook.name,
      mode,
      resumed: resuming,
      step: session.step(),
      exitCode,
      message,
      operator: operator ?? null,
      ...runProduced(runbook, journal.events()),
    });
  return {
    started: () => sendNotice(notifier, () => notice('started'), journal, reporter),
    interrupted(signal) {
      // Blocking: no step goes on while the webhook is told (a second Ctrl-C ends it at once).
      sendNoticeBlocking(
        notifier,
        () => notice('interrupted', EXIT.interrupted, `stopped by ${signalWords(signal)}`),
        journal,
        (l) => {
          out.write(`${l}\n`);
        },
      );
    },
    async ended(end) {
      if (end.how === 'done') {
        await sendNotice(notifier, () => notice('done', end.exitCode, doneNotice(end.transcript)), journal, reporter);
        return;
      }
      // A journal that cannot be written any more (the reason it stopped, maybe) leaves the exit code as it is.
      await sendNotice(notifier, () => notice(noticeStateOf(end.exitCode), end.exitCode, messageOf(end.error)), journal, reporter).catch(
        () => undefined,
      );
    },
  };
}
