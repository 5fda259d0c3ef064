/**
 * `--notify URL`: a webhook told how a run stands (started, waiting for the operator, failed, interrupted, done)
 * in a JSON body with a Slack-style `text` and the run's id, state, step and runbook. Every string
 * in it is redacted, and the URL itself (a Slack webhook's path is its secret) is never journaled
 * or shown: only its origin is.
 */
import { commandLine } from '../core/command-line.js';
import { UsageError } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import { stripUrlCredentials } from '../core/url-secrets.js';
import type { Notifier, RunNotice } from '../engine/run/index.js';

/** A part of a webhook's path or query this long is taken for its token. */
const WEBHOOK_TOKEN_LENGTH = 16;

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** What the notice says, in a line a chat shows. */
function textOf(n: RunNotice): string {
  const about = n.subject ? `, instance ${n.subject.instanceGuid}` : '';
  const run = `dingo-recover run ${n.runId} (${n.runbook}${about}${n.mode === 'rehearsal' ? ', a rehearsal' : ''})`;
  const at = n.step ? ` at step ${n.step}` : '';
  const why = n.message ? `: ${n.message}` : '';
  switch (n.state) {
    case 'started':
      return `${run} ${n.resumed ? 'resumed' : 'started'}${n.operator ? ` by ${n.operator}` : ''}`;
    case 'waiting':
      return `${run} is waiting for the operator${at}${why}; continue with: ${commandLine(['resume', n.runId])}`;
    case 'failed':
      return `${run} failed${at}${why}`;
    case 'interrupted':
      return `${run} was interrupted${at}${why}; continue with: ${commandLine(['resume', n.runId])}`;
    case 'planned':
      return `${run} stopped at its plan, before step ${n.step ?? '?'}: nothing was changed`;
    case 'done':
      return `${run} is done`;
  }
}

/** The JSON body: every string redacted. */
export function noticeBody(n: RunNotice): Record<string, unknown> {
  const r = (s: string | null) => (s === null ? null : secrets.redact(s));
  return {
    text: r(textOf(n)),
    runId: n.runId,
    state: n.state,
    step: r(n.step),
    runbook: r(n.runbook),
    mode: n.mode,
    exitCode: n.exitCode,
    operator: r(n.operator),
    message: r(n.message),
    subject: secrets.redactValue(n.subject),
    outputs: secrets.redactValue(n.outputs),
  };
}

/** The notifier of `--notify URL`, or none; a URL that is not http(s) is refused before the run starts. */
export async function notifierFor(url: string | undefined): Promise<Notifier | undefined> {
  if (url === undefined) return undefined;
  const stripped = stripUrlCredentials('--notify', url);
  const parsed = URL.canParse(stripped.url) ? new URL(stripped.url) : undefined;
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
    throw new UsageError('--notify needs an http:// or https:// URL', {
      hint: 'give the webhook URL, e.g. --notify https://hooks.slack.com/services/…',
    });
  // A webhook's credentials are in its path or query (a Slack hook's last segment): each long part is redacted.
  const parts = [...parsed.pathname.split('/').map(decoded), ...parsed.searchParams.values()];
  for (const part of parts) if (part.length >= WEBHOOK_TOKEN_LENGTH) secrets.register(part);
  secrets.registerEnv(process.env);
  const { postJson, postJsonBlocking } = await import('../systems/notify.js');
  return {
    target: parsed.origin,
    send: async (notice) => {
      await postJson(url, noticeBody(notice));
    },
    sendBlocking: (notice) => postJsonBlocking(url, noticeBody(notice)),
  };
}
