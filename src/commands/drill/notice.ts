/**
 * `drill --notify URL`: the webhook told how a drill ended. A drill run by cron alerts only on a
 * failure (`--notify-on failure`, the default); `--notify-on always` tells every outcome. A webhook
 * that fails is one warning on stderr: the drill's exit code stays its own. A `drill --all`'s notice
 * is all-notice.ts's.
 */
import type { Options } from 'yargs';
import { messageOf } from '../../core/errors.js';
import type { DrillReport } from '../../drill/drill.js';
import { cellDrillLine } from '../../drill/cell-drill.js';
import type { CellDrilled } from './on-cell.js';
import type { ChatNotice } from '../run/notify-formats.js';
import type { Webhook } from '../run/notifier.js';

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

/** Posts the notice; a failure is one warning line on stderr. */
export async function notifyDrill(hook: Webhook, notice: ChatNotice, stderr: (text: string) => void): Promise<void> {
  await hook.post(notice).catch((err: unknown) => {
    stderr(
      `dingo-recover drill: warning: --notify ${hook.target} was not told that the drill ${notice.status === 'done' ? 'passed' : 'failed'}: ${messageOf(err)}\n`,
    );
  });
}
