/** `drill --all --notify URL`: the webhook told how the drills of every archive under a prefix went, in one notice. */
import { messageOf } from '../../core/errors.js';
import type { ChatNotice } from '../run/notify-formats.js';
import { resultText, type DrillAllRun } from './render-all.js';

/** How a `drill --all` ended: its run, or the error that stopped it before any drill (the listing failed). */
export type DrillAllEnd = { run: DrillAllRun } | { err: unknown };

/**
 * The notice of a `drill --all` under `under`: how many archives failed or were not drilled, and each
 * with why (a prefix and its outcome; the messages name no credential, and the caller redacts).
 */
export function drillAllNotice(under: string, code: number, began: Date, end: DrillAllEnd): ChatNotice {
  const bad = 'run' in end ? end.run.archives.filter((a) => a.exitCode !== 0) : [];
  const total = 'run' in end ? end.run.archives.length : 0;
  const ok = code === 0;
  const subject = ok
    ? `dingo-recover drill --all of ${under} passed: ${total} archive(s)`
    : 'run' in end
      ? `dingo-recover drill --all of ${under}: ${bad.length} of ${total} archive(s) not passed (exit ${code})`
      : `dingo-recover drill --all of ${under} could not run (exit ${code})`;
  const message =
    'run' in end
      ? bad
          .map((a) => `${a.archive}${a.name ? ` (${a.name})` : ''}: ${resultText(a)}${a.drilled && a.message ? `: ${a.message}` : ''}`)
          .join('\n') || null
      : messageOf(end.err);
  return {
    event: ok ? 'drill.done' : 'drill.failed',
    status: ok ? 'done' : 'failed',
    subject,
    text: message ? `${subject}\n${message}` : subject,
    message,
    runId: null,
    runbook: null,
    startedAt: began.toISOString(),
    facts: {
      archive: under,
      outcome: ok ? 'ok' : 'run' in end ? 'failed' : 'could-not-run',
      exitCode: code,
      archives: total,
      passed: total - bad.length,
      failed: bad.filter((a) => a.drilled && a.result !== 'budget-spent' && a.result !== 'interrupted').length,
      notDrilled: bad.filter((a) => !a.drilled).length,
    },
  };
}
