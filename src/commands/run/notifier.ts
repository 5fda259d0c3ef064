/**
 * `--notify URL`: a webhook told how a run stands (started, waiting for the operator, failed,
 * interrupted, done), or how a drill ended, in the shape `--notify-format` names (notify-formats.ts).
 * Every string in it is redacted, and the URL itself (a Slack webhook's path is its secret) is never
 * journaled or shown: only its origin is.
 */
import { commandLine } from '../../core/command-line.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { secrets, invocation } from '../../core/invocation.js';
import { decode, stripUrlCredentials } from '../../core/url-secrets.js';
import type { Notifier, RunNotice } from '../../engine/run/index.js';
import { bodyFor, formatOfUrl, type ChatNotice, type NotifyFormat } from './notify-formats.js';

/** A part of a webhook's path or query this long is taken for its token. */
const WEBHOOK_TOKEN_LENGTH = 16;

/** What the notice says, in a line a chat shows; `run` is its headline. */
function linesOf(n: RunNotice): { subject: string; text: string } {
  const about = n.subject ? `, instance ${n.subject.instanceGuid}` : '';
  const run = `dingo-recover run ${n.runId} (${n.runbook}${about}${n.mode === 'rehearsal' ? ', a rehearsal' : ''})`;
  const at = n.step ? ` at step ${n.step}` : '';
  const why = n.message ? `: ${n.message}` : '';
  const resume = `; continue with: ${commandLine(['resume', n.runId])}`;
  const [subject, rest]: [string, string] = (() => {
    switch (n.state) {
      case 'started':
        return [`${run} ${n.resumed ? 'resumed' : 'started'}`, n.operator ? ` by ${n.operator}` : ''];
      case 'waiting':
        return [`${run} is waiting for the operator`, `${at}${why}${resume}`];
      case 'failed':
        return [`${run} failed`, `${at}${why}`];
      case 'interrupted':
        return [`${run} was interrupted`, `${at}${why}${resume}`];
      case 'planned':
        return [`${run} stopped at its plan`, `, before step ${n.step ?? '?'}: nothing was changed`];
      case 'done':
        // What it recovered (and, done with warnings, what it could not do).
        return [`${run} is done${n.exitCode === EXIT.doneWithWarnings ? ' with warnings' : ''}`, why];
    }
  })();
  return { subject, text: subject + rest };
}

/** When a run began, from its id (`20260317-180520-ab12`, UTC), or null for an id of another shape. */
function startOfRunId(runId: string): string | null {
  const m = /^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-/.exec(runId);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : null;
}

/** A run's notice as any format takes it. */
function chatNoticeOf(n: RunNotice): ChatNotice {
  return {
    event: `run.${n.state}`,
    status: n.state,
    ...linesOf(n),
    message: n.message,
    runId: n.runId,
    runbook: n.runbook,
    startedAt: startOfRunId(n.runId),
    facts: { step: n.step, mode: n.mode, exitCode: n.exitCode, operator: n.operator },
    // What the run is about and what it produced, as its runbook declares them.
    produced: { instance: n.subject, outputs: n.outputs },
  };
}

/** The generic JSON body of a run's notice (what earlier releases posted, and more): every string redacted. */
export function noticeBody(n: RunNotice, sentAt = new Date().toISOString()): Record<string, unknown> {
  return bodyFor('generic', chatNoticeOf(n), sentAt);
}

/** A webhook: where it is (its origin alone) and how to post it a notice, blocking or not. */
export interface Webhook {
  target: string;
  format: NotifyFormat;
  post(notice: ChatNotice): Promise<void>;
  /** The reason it was not sent, or null. */
  postBlocking(notice: ChatNotice): string | null;
}

/**
 * The webhook of `--notify URL` in `format` (else the one its host speaks), or none; a URL that is not
 * http(s) is refused before anything starts. Its token and the environment's secrets are registered for redaction.
 */
export async function webhookFor(url: string | undefined, format?: NotifyFormat): Promise<Webhook | undefined> {
  if (url === undefined) return undefined;
  const stripped = stripUrlCredentials('--notify', url, secrets());
  const parsed = URL.canParse(stripped.url) ? new URL(stripped.url) : undefined;
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
    throw new UsageError('--notify needs an http:// or https:// URL', {
      hint: 'give the webhook URL, e.g. --notify https://hooks.slack.com/services/…',
    });
  // A webhook's credentials are in its path or query (a Slack hook's last segment): each long part is redacted.
  const parts = [...parsed.pathname.split('/').map(decode), ...parsed.searchParams.values()];
  for (const part of parts) if (part.length >= WEBHOOK_TOKEN_LENGTH) secrets().register(part);
  secrets().registerEnv(invocation().env);
  // The password of the proxy it is posted through, known before a run copies what the command line registered.
  const { proxyFor } = await import('../../systems/http-proxy.js');
  proxyFor(stripped.url, invocation().env, secrets());
  const { postJson, postJsonBlocking } = await import('../../systems/notify.js');
  const chosen = format ?? formatOfUrl(stripped.url);
  const body = (n: ChatNotice) => bodyFor(chosen, n, new Date().toISOString());
  return {
    target: parsed.origin,
    format: chosen,
    post: async (n) => {
      await postJson(url, body(n), { redactor: secrets() });
    },
    postBlocking: (n) => postJsonBlocking(url, body(n)),
  };
}

/** The notifier of a run's `--notify URL` and `--notify-format`, or none. */
export async function notifierFor(url: string | undefined, format?: NotifyFormat): Promise<Notifier | undefined> {
  const hook = await webhookFor(url, format);
  if (!hook) return undefined;
  return {
    target: hook.target,
    send: (notice) => hook.post(chatNoticeOf(notice)),
    sendBlocking: (notice) => hook.postBlocking(chatNoticeOf(notice)),
  };
}
