/**
 * Telling the people waiting how a run stands (`--notify`): started, waiting for the operator,
 * failed, interrupted, done. What is sent and how is the command layer's (a Notifier); the engine
 * says when, journals each outcome, and never lets a failed notice stop the run: it is one warning line.
 */
import { messageOf } from '../../core/errors.js';
import type { JournalEvent } from '../journal/journal-events.js';
import type { Journal } from '../journal/journal.js';
import { replay } from '../journal/replay.js';
import type { Reporter } from '../operator/reporter.js';
import type { RunSubject } from '../runbook/declared-outputs.js';

export type NoticeState = 'started' | 'waiting' | 'failed' | 'interrupted' | 'done' | 'planned';

export interface RunNotice {
  state: NoticeState;
  runId: string;
  /** The runbook's name. */
  runbook: string;
  mode: 'live' | 'rehearsal';
  /** A resume, not a new run. */
  resumed: boolean;
  /** The step the run is at: the one waiting or failed, the last one started. */
  step: string | null;
  exitCode: number | null;
  /** Why it stopped (waiting, failed). */
  message: string | null;
  operator: string | null;
  /** The instance the run is about, as its runbook declares it, once known. */
  subject: RunSubject | null;
  /** The runbook's declared outputs produced so far. */
  outputs: Record<string, unknown>;
}

export interface Notifier {
  /** Where notices go, as journaled and shown (no secret: e.g. the webhook's origin). */
  target: string;
  send(notice: RunNotice): Promise<void>;
  /**
   * Sends it while nothing else of the program runs (a signal stopping the run mid-step: no step may
   * go on while the notice is on its way), within a few seconds; the reason it was not sent, or null.
   */
  sendBlocking(notice: RunNotice): string | null;
}

const PHRASE: Record<NoticeState, string> = {
  started: 'started',
  waiting: 'is waiting for the operator',
  failed: 'failed',
  interrupted: 'was interrupted',
  done: 'is done',
  planned: 'stopped at its plan',
};

const STEP_EVENTS = new Set(['step.started', 'step.failed', 'step.finished', 'step.skipped']);

/**
 * The step the run is at, from its journal: one started and not finished (or failed), else the
 * first of `stepIds` (the runbook's, in order) not finished or skipped (one waiting for its
 * confirmation), else the last one that ran.
 */
export function currentStep(events: JournalEvent[], stepIds: readonly string[]): string | null {
  const last = events.findLast((e) => STEP_EVENTS.has(e.type)) as Extract<JournalEvent, { step: string }> | undefined;
  if (last?.type === 'step.started' || last?.type === 'step.failed') return last.step;
  const steps = replay(events).steps;
  const open = stepIds.find((id) => !['finished', 'skipped'].includes(steps.get(id)?.status ?? 'pending'));
  return open ?? last?.step ?? null;
}

/** Journals how sending `notice` went (`error`: why it failed, or null); a failure is one warning line, never an error. */
function settle(notifier: Notifier, notice: RunNotice, error: string | null, journal: Journal, warn: (line: string) => void): void {
  if (error === null) {
    journal.append({ type: 'notify.sent', state: notice.state, to: notifier.target });
    return;
  }
  journal.append({ type: 'notify.failed', state: notice.state, to: notifier.target, error });
  warn(`warning: --notify ${notifier.target} was not told that the run ${PHRASE[notice.state]}: ${error}`);
}

/** Sends the notice and journals how it went; the run goes on whatever the answer. */
export async function sendNotice(
  notifier: Notifier | undefined,
  noticeOf: () => RunNotice,
  journal: Journal,
  reporter: Reporter,
): Promise<void> {
  if (!notifier) return;
  const notice = noticeOf();
  const error = await notifier.send(notice).then(
    () => null,
    (err: unknown) => messageOf(err),
  );
  settle(notifier, notice, error, journal, (l) => {
    reporter.line(`${l}; the run goes on`);
  });
}

/** `sendNotice` for a run stopped by a signal: blocking (no step goes on meanwhile), its warning through `warn`. */
export function sendNoticeBlocking(
  notifier: Notifier | undefined,
  noticeOf: () => RunNotice,
  journal: Journal,
  warn: (line: string) => void,
): void {
  if (!notifier) return;
  const notice = noticeOf();
  settle(notifier, notice, notifier.sendBlocking(notice), journal, warn);
}
