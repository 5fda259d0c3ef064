/**
 * What a `--notify` webhook is sent, in the shape its service accepts (`--notify-format`):
 * - `slack`: `{text}` (Slack's and Mattermost's incoming webhooks), `&`, `<` and `>` escaped so a
 *   service name cannot mention `<!channel>`;
 * - `teams`: one Adaptive Card 1.4 (Teams Workflows refuse any other body);
 * - `discord`: `{content}` of at most 2000 characters (UTF-16 units), mentions disabled;
 * - `generic`: one JSON document (event, run id, runbook, status, subject, timestamps, message...)
 *   that also carries the line as `text`, so Slack-compatible hooks (Mattermost, Rocket.Chat) show it.
 * Without `--notify-format` the format is guessed from the webhook's host, else `generic`.
 * Every string of every body is redacted.
 */
import { secrets } from '../../core/invocation.js';

export const NOTIFY_FORMATS = ['slack', 'teams', 'discord', 'generic'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** Discord refuses a message longer than this. */
const DISCORD_MAX = 2000;

/** One notice, whatever sends it (a run, a drill), before it takes a service's shape. */
export interface ChatNotice {
  /** What happened, as `run.failed` or `drill.failed`. */
  event: string;
  /** How it stands: `started`, `waiting`, `failed`, `interrupted`, `done`, `planned`. */
  status: string;
  /** The headline, e.g. `dingo-recover run … failed`. */
  subject: string;
  /** The whole line a chat shows. */
  text: string;
  /** Why (the error, what it waits for), or null. */
  message: string | null;
  runId: string | null;
  runbook: string | null;
  /** When what it reports on started (ISO 8601), or null when not known. */
  startedAt: string | null;
  /** Further facts, shown by Teams and kept in the generic document (step, mode, exit code, operator...). */
  facts: Record<string, string | number | null>;
  /** A run's subject (the instance and archive it is about) and declared outputs, kept in the generic document. */
  produced?: { instance: unknown; outputs: unknown };
}

/** The format a webhook's host speaks: Slack's, Teams Workflows' (Azure Logic Apps, Power Automate), Discord's, else generic. */
export function formatOfUrl(url: string): NotifyFormat {
  const host = URL.canParse(url) ? new URL(url).hostname.toLowerCase() : '';
  const under = (domain: string) => host === domain || host.endsWith(`.${domain}`);
  if (host === 'hooks.slack.com') return 'slack';
  if (['webhook.office.com', 'logic.azure.com', 'powerautomate.com'].some(under)) return 'teams';
  if (['discord.com', 'discordapp.com'].some(under)) return 'discord';
  return 'generic';
}

/** Every string in `value` redacted. */
function redacted(value: unknown): unknown {
  if (typeof value === 'string') return secrets().redact(value);
  if (Array.isArray(value)) return value.map(redacted);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v)]));
  return value;
}

/** Slack's control characters escaped, so text written by a tenant is shown, never read as a mention or a link. */
function slackEscaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** At most `max` UTF-16 units (what Discord counts, at most), its end replaced by an ellipsis when cut. */
function clipped(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  // Not half of a surrogate pair.
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

function adaptiveCard(n: ChatNotice, sentAt: string) {
  const facts = Object.entries({ status: n.status, run: n.runId, runbook: n.runbook, ...n.facts, sent: sentAt })
    .filter(([, v]) => v !== null && v !== '')
    .map(([title, value]) => ({ title, value: String(value) }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: n.subject, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: n.text, wrap: true },
            { type: 'FactSet', facts },
          ],
        },
      },
    ],
  };
}

/** The body `format` posts for `n`, sent at `sentAt` (ISO 8601), every string redacted. */
export function bodyFor(format: NotifyFormat, n: ChatNotice, sentAt: string): Record<string, unknown> {
  // Redacted before it is cut or escaped: a secret cut in half or escaped would no longer be found.
  const r = redacted(n) as ChatNotice;
  switch (format) {
    case 'slack':
      return { text: slackEscaped(r.text) };
    case 'teams':
      return adaptiveCard(r, sentAt);
    case 'discord':
      return { content: clipped(r.text, DISCORD_MAX), allowed_mentions: { parse: [] } };
    case 'generic':
      return {
        event: r.event,
        status: r.status,
        // What earlier releases sent the status as.
        state: r.status,
        subject: r.subject,
        text: r.text,
        message: r.message,
        runId: r.runId,
        runbook: r.runbook,
        timestamps: { sent: sentAt, started: r.startedAt },
        ...r.facts,
        ...(r.produced ? { instance: r.produced.instance ?? null, outputs: r.produced.outputs } : {}),
      };
  }
}
