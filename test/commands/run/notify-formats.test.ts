import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOfUrl, type ChatNotice } from '../../../src/commands/run/notify-formats.js';
import { webhookFor } from '../../../src/commands/run/notifier.js';
import { secrets } from '../../../src/core/invocation.js';
import { postJson } from '../../../src/systems/notify.js';
import { startChatWebhooks, type ChatWebhooks } from '../../support/chat-webhooks.js';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { tempDirForAll } from '../../support/temp-dirs.js';
import { Redactor } from '../../../src/core/redact.js';

const stateDir = tempDirForAll('dingo-notify-formats-');
const SECRET = 'Zq8pW3xLr7TnB2vKs9';
let hooks: ChatWebhooks;

beforeAll(async () => {
  hooks = await startChatWebhooks();
});
afterAll(() => hooks.stop());

function notice(message: string): ChatNotice {
  return {
    event: 'run.failed',
    status: 'failed',
    subject: 'dingo-recover run 20261126-014500-ab12 (recover-deleted-service) failed',
    text: `dingo-recover run 20261126-014500-ab12 (recover-deleted-service) failed at step copy-old-archive: ${message}`,
    message,
    runId: '20261126-014500-ab12',
    runbook: 'recover-deleted-service',
    startedAt: '2026-11-26T01:45:00Z',
    facts: { step: 'copy-old-archive', mode: 'live', exitCode: 1, operator: 'alice' },
  };
}

/** Posts `n` to the webhook at `path` in `format`; the body the webhook accepted. */
async function posted(path: string, format: Parameters<typeof webhookFor>[1], n: ChatNotice) {
  const hook = await webhookFor(`${hooks.base}${path}`, format);
  await hook!.post(n);
  return hooks.accepted.at(-1)!;
}

describe('--notify-format', () => {
  it('is guessed from the webhook host, else generic', () => {
    expect(formatOfUrl('https://hooks.slack.com/services/T0/B0/x')).toBe('slack');
    expect(formatOfUrl('https://contoso.webhook.office.com/webhookb2/x')).toBe('teams');
    expect(formatOfUrl('https://prod-12.westeurope.logic.azure.com:443/workflows/x/triggers/manual/paths/invoke')).toBe('teams');
    expect(formatOfUrl('https://default0000.0a.environment.api.powerautomate.com/x')).toBe('teams');
    expect(formatOfUrl('https://discord.com/api/webhooks/1/x')).toBe('discord');
    expect(formatOfUrl('https://canary.discord.com/api/webhooks/1/x')).toBe('discord');
    expect(formatOfUrl('https://mattermost.example.com/hooks/x')).toBe('generic');
    // Only the host itself, or a host under the domain, counts.
    expect(formatOfUrl('https://hooks.slack.com.example.net/x')).toBe('generic');
    expect(formatOfUrl('https://notdiscord.com/x')).toBe('generic');
    expect(formatOfUrl('https://example.com/discord.com')).toBe('generic');
  });

  it('posts Slack a text it shows as written, and the secrets redacted', async () => {
    secrets().register(SECRET);
    const { path, body } = await posted('/slack', 'slack', notice(`<!channel> S3 refused the key ${SECRET} & more`));
    expect(path).toBe('/slack');
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain('failed at step copy-old-archive: &lt;!channel&gt; S3 refused the key [REDACTED] &amp; more');
  });

  it('posts Teams one Adaptive Card with the headline, the line and the facts; a body of another shape is refused', async () => {
    const { body } = await posted('/teams', 'teams', notice(`refused ${SECRET}`));
    const card = (body.attachments as { content: { version: string; body: { type: string; text?: string; facts?: unknown[] }[] } }[])[0]!
      .content;
    expect(card.version).toBe('1.4');
    expect(card.body.map((e) => e.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(card.body[0]!.text).toBe('dingo-recover run 20261126-014500-ab12 (recover-deleted-service) failed');
    expect(card.body[1]!.text).toContain('at step copy-old-archive: refused [REDACTED]');
    expect(card.body[2]!.facts).toEqual(
      expect.arrayContaining([
        { title: 'status', value: 'failed' },
        { title: 'step', value: 'copy-old-archive' },
        { title: 'operator', value: 'alice' },
        { title: 'exitCode', value: '1' },
      ]),
    );
    expect(JSON.stringify(body)).not.toContain(SECRET);
    // The double refuses what Teams refuses: the generic document sent to it.
    const generic = await webhookFor(`${hooks.base}/teams`, 'generic');
    await expect(generic!.post(notice('x'))).rejects.toThrow(/HTTP 400/);
    expect(hooks.refused.at(-1)).toMatchObject({ path: '/teams', status: 400 });
  });

  it('posts Discord a content of at most 2000 characters, mentions off; Discord refuses a longer or empty one', async () => {
    const long = `${'x'.repeat(2500)} ${SECRET}`;
    const { body } = await posted('/discord', 'discord', notice(long));
    const content = body.content as string;
    expect(content).toHaveLength(2000);
    expect(content.endsWith('…')).toBe(true);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    const short = await posted('/discord', 'discord', notice(`refused ${SECRET}`));
    expect(short.body.content).toContain('refused [REDACTED]');
    await expect(postJson(`${hooks.base}/discord`, { content: 'y'.repeat(2001) }, { redactor: new Redactor() })).rejects.toThrow(
      /HTTP 400/,
    );
    await expect(postJson(`${hooks.base}/discord`, { content: '' }, { redactor: new Redactor() })).rejects.toThrow(/HTTP 400/);
  });

  it('posts the generic document: event, run id, runbook, status, subject, timestamps, message, and the text', async () => {
    const before = new Date().toISOString();
    const { body } = await posted('/generic', 'generic', notice(`refused ${SECRET}`));
    expect(body).toMatchObject({
      event: 'run.failed',
      status: 'failed',
      runId: '20261126-014500-ab12',
      runbook: 'recover-deleted-service',
      subject: 'dingo-recover run 20261126-014500-ab12 (recover-deleted-service) failed',
      message: 'refused [REDACTED]',
      step: 'copy-old-archive',
      exitCode: 1,
      operator: 'alice',
    });
    const timestamps = body.timestamps as { sent: string; started: string };
    expect(timestamps.started).toBe('2026-11-26T01:45:00Z');
    expect(timestamps.sent >= before).toBe(true);
    expect(body.text).toContain('at step copy-old-archive: refused [REDACTED]');
  });

  it('a rehearsal tells a Teams Workflow in cards; the format may come from DINGO_RECOVER_NOTIFY_FORMAT', async () => {
    const from = hooks.accepted.length;
    const r = await runCli(['rehearse', '--yes', '--notify', `${hooks.base}/teams`, '--state-dir', stateDir], {
      env: { DINGO_RECOVER_NOTIFY_FORMAT: 'teams' },
    });
    expect(r.code, r.stderr).toBe(DONE_DRILLED_ON_CELL);
    const id = runIdOf(r.stdout);
    const cards = hooks.accepted.slice(from).map((a) => {
      const content = (a.body.attachments as { content: { body: { text?: string }[] } }[])[0]!.content;
      return content.body[0]!.text;
    });
    expect(cards).toEqual([
      `dingo-recover run ${id} (recover-deleted-service, a rehearsal) started`,
      // Once found, the instance the run is about is named.
      `dingo-recover run ${id} (recover-deleted-service, instance 6e101b27-ee1b-4f4d-a032-4401a3709ec3, a rehearsal) is done`,
    ]);
    expect(r.stdout).not.toContain('warning: --notify');
  });

  it('refuses a format it does not know before the run starts', async () => {
    const r = await runCli(
      ['rehearse', '--yes', '--notify', `${hooks.base}/slack`, '--notify-format', 'telegram', '--state-dir', stateDir],
      {},
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notify-format.*telegram|telegram.*notify-format/is);
  });
});
