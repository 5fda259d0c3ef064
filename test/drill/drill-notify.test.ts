/**
 * `drill --notify` as cron runs it: the real command line against moto and a real archive, its
 * streams apart, a chat webhook on loopback that refuses what its service refuses; and the warnings
 * of `drill` and `archive inspect` on stderr, apart from their reports.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { startChatWebhooks, type ChatWebhooks } from '../support/chat-webhooks.js';
import { runCli } from '../support/cli.js';
import { setUpDrill, tearDownDrill, type DrillFixtures } from '../support/drill-fixtures.js';
import { archiveKeys } from '../support/wale-archive.js';

const BUCKET = 'drill-notify';
const SECRET = 'drill-notify-secret-Hk27';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIADRILLNOTIFY01', AWS_SECRET_ACCESS_KEY: SECRET };
const ARCHIVE = `s3://${BUCKET}/backups/n/wal/`;

let fixtures: Partial<DrillFixtures> = {};
let hooks: ChatWebhooks | undefined;

beforeAll(async () => {
  hooks = await startChatWebhooks();
  fixtures = await setUpDrill({
    scratch: 'drill-notify-',
    bucket: BUCKET,
    archive: { rowsBefore: 20, rowsAfter: 10, partitions: 1 },
    prefix: 'backups/n/wal/',
    env: CREDENTIALS,
  });
});
afterAll(async () => {
  await hooks?.stop();
  await tearDownDrill(fixtures);
});

function drill(extra: string[]) {
  return runCli(['drill', ARCHIVE, '--quiet', '--s3-endpoint', fixtures.moto!.endpoint, '--s3-path-style', ...extra], {
    env: CREDENTIALS,
  });
}

const posts = () => hooks!.accepted.splice(0);

describe('drill --notify', () => {
  it('tells nothing of a drill that passed, unless --notify-on always', async () => {
    posts();
    const quiet = await drill(['--notify', `${hooks!.base}/slack`, '--notify-format', 'slack']);
    expect(quiet).toEqual({ code: DRILL_EXIT.ok, stdout: '', stderr: '' });
    expect(posts()).toEqual([]);

    const always = await drill(['--notify', `${hooks!.base}/slack`, '--notify-format', 'slack', '--notify-on', 'always']);
    expect(always).toEqual({ code: DRILL_EXIT.ok, stdout: '', stderr: '' });
    const sent = posts();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.text).toBe(
      `dingo-recover drill of ${ARCHIVE} passed: restored ${fixtures.archive!.latest}, replayed to ${fixtures.archive!.segments.at(-1)}`,
    );
  });

  it('tells a failed drill with its outcome, exit code and why, secrets redacted', async () => {
    posts();
    const r = await drill(['--max-age', '1s', '--notify', `${hooks!.base}/generic`]);
    expect(r.code).toBe(DRILL_EXIT.tooOld);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/older than --max-age 1.0 s/);
    const [sent, ...more] = posts();
    expect(more).toEqual([]);
    expect(sent!.body).toMatchObject({
      event: 'drill.failed',
      status: 'failed',
      subject: `dingo-recover drill of ${ARCHIVE} failed: too-old (exit 5)`,
      archive: ARCHIVE,
      outcome: 'too-old',
      exitCode: 5,
      runId: null,
    });
    expect(sent!.body.message).toMatch(/older than --max-age 1.0 s/);
    expect((sent!.body.timestamps as { started: string }).started).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(JSON.stringify(sent!.body)).not.toContain(SECRET);
  });

  it('keeps its exit code when the webhook refuses, with one warning on stderr', async () => {
    const r = await drill(['--max-age', '1s', '--notify', `${hooks!.base}/discord`, '--notify-format', 'generic']);
    expect(r.code).toBe(DRILL_EXIT.tooOld);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `dingo-recover drill: warning: --notify ${hooks!.base} was not told that the drill failed: it answered HTTP 400`,
    );
    expect(hooks!.refused.at(-1)).toMatchObject({ path: '/discord', status: 400 });
  });

  it('prints the drill and inspect reports on stdout and their warnings on stderr', async () => {
    const prefix = 'backups/warned/wal/';
    for (const key of await archiveKeys(fixtures.archive!.root)) {
      const body = key === 'sysids/sysid' ? Buffer.from('not-a-number') : await readFile(join(fixtures.archive!.root, key));
      await fixtures.moto!.store.put({ bucket: BUCKET, key: prefix + key }, body);
    }
    const r = await runCli(['drill', `s3://${BUCKET}/${prefix}`, '--s3-endpoint', fixtures.moto!.endpoint, '--s3-path-style'], {
      env: CREDENTIALS,
    });
    expect(r.code, r.stderr).toBe(DRILL_EXIT.ok);
    expect(r.stdout).toMatch(/^restore drill passed\n/);
    expect(r.stdout).not.toContain('warning');
    const warning = 'warning: sysids/sysid holds "not-a-number", not a numeric database system identifier.\n';
    expect(r.stderr).toBe(`dingo-recover drill: ${warning}`);
    const inspected = await runCli(
      ['archive', 'inspect', `s3://${BUCKET}/${prefix}`, '--s3-endpoint', fixtures.moto!.endpoint, '--s3-path-style'],
      {
        env: CREDENTIALS,
      },
    );
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toMatch(/^Archive /);
    expect(inspected.stdout).not.toContain('warning');
    expect(inspected.stderr).toBe(`dingo-recover archive inspect: ${warning}`);
  });

  it('refuses a --notify that is no http(s) URL before the drill starts', async () => {
    const r = await drill(['--notify', 'hooks.slack.com/x']);
    expect(r.code).toBe(DRILL_EXIT.badUsage);
    expect(r.stderr).toContain('--notify needs an http:// or https:// URL');
  });
});
