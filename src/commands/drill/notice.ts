/**
 * `drill --notify URL`: the webhook told how a drill ended. A drill run by cron alerts only on a
 * failure (`--notify-on failure`, the default); `--notify-on always` tells every outcome. A webhook
 * that fails is one warning on stderr: the drill's exit code stays its own.
 */
import type { Options } from 'yargs';
import { messageOf } from '../../core/errors.js';
import type { DrillReport } from '../../drill/drill.js';
import { cellDrillLine } from '../../drill/cell-drill.js';
import type { CellDrilled } from './on-cell.js';
import type { ChatNotice } from '../run/notify-formats.js';
import type { Webhook } from '../run/notifier.js';
import { resultText, type DrillAllRun } from './render-all.js';

export type NotifyOn = 'failure' | 'always';

export const NOTIFY_ON_FLAG = {
  type: 'string',
  choices: ['failure', 'always'] as NotifyOn[],
  default: 'failure' as NotifyOn,
  describe: 'when --notify is told: failure (what cron alerts on) or always',
} as const satisfies Options;

/** How a drill ended: its report, or the error and the outcome word `--json` gives it (`too-old`, `interrupted`...). */
export type DrillEnd = { report: DrillReport | CellDrilled } | { err: unknown; outcome: string };

/** The notice of a drill of `url` that began at `began` and ended with `code`. */
export function drillNotice(url: string, code: number, began: Date, end: DrillEnd): ChatNotice {
  const ok = 'report' in end;
  const subject = ok ? `dingo-recover drill of ${url} passed` : `dingo-recover drill of ${url} failed: ${end.outcome} (exit ${code})`;
  const message = !ok
    ? messageOf(end.err)
    : 'ranOn' in end.report
      ? `restored ${end.report.backup}, ${cellDrillLine(end.report)}`
      : `restored ${end.report.backup.name}, replayed to ${end.report.replay.lastSegment ?? 'its base backup'}`;
  return {
    event: ok ? 'drill.done' : 'drill.failed',
    status: ok ? 'done' : 'failed',
    subject,
    text: `${subject}: ${message}`,
    message,
    runId: null,
    runbook: null,
    startedAt: began.toISOString(),
    facts: { archive: url, outcome: ok ? 'ok' : end.outcome, exitCode: code },
  };
}

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

/** Posts the notice; a failure is one warning line on stderr. */
export async function notifyDrill(hook: Webhook, notice: ChatNotice, stderr: (text: string) => void): Promise<void> {
  await hook.post(notice).catch((err: unknown) => {
    stderr(
      `dingo-recover drill: warning: --notify ${hook.target} was not told that the drill ${notice.status === 'done' ? 'passed' : 'failed'}: ${messageOf(err)}\n`,
    );
  });
}
