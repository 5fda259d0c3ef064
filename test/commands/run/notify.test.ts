import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noticeBody, notifierFor } from '../../../src/commands/run/notifier.js';
import { secrets } from '../../../src/core/invocation.js';
import type { RunNotice } from '../../../src/engine/run/index.js';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

const stateDir = tempDirForAll('dingo-notify-');
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const HOOK_PATH = '/services/T0001/B0001/hook-token-5ecret';

/** A webhook on loopback: keeps each JSON body posted, answers `status`. */
let server: Server;
let base = '';
let status = 204;
/** Called with each body as it arrives, before it is answered; a promise holds the answer back until it settles. */
let arrived: (body: Record<string, unknown>) => Promise<void> | void = () => undefined;
const bodies: Record<string, unknown>[] = [];
const paths: string[] = [];

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      resolve(text);
    });
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then(async (text) => {
      paths.push(req.url ?? '');
      const body = JSON.parse(text) as Record<string, unknown>;
      bodies.push(body);
      await arrived(body);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    ),
);

function run(args: string[], onStart?: (pid: number) => void) {
  return runCli([...args, '--state-dir', stateDir], { env: { AWS_SECRET_ACCESS_KEY: AWS_SECRET }, onStart });
}

const journalOf = (id: string) => readFileSync(join(stateDir, 'runs', id, 'journal.ndjson'), 'utf8');

/**
 * `args` run, and sent `signal` once its 'started' notice arrives: that notice is held unanswered, so the run
 * is stopped while it waits on it and no step goes on.
 */
async function stoppedBy(signal: NodeJS.Signals, args: string[]) {
  let pid = 0;
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  arrived = (body) => {
    if (body.state !== 'started') return;
    process.kill(pid, signal);
    return held;
  };
  try {
    return await run(args, (p) => (pid = p));
  } finally {
    release();
    arrived = () => undefined;
  }
}

describe('--notify URL', () => {
  it('posts started, waiting for the operator, and done, journaled by the webhook origin alone', async () => {
    bodies.length = 0;
    const waiting = await run(['rehearse', '--notify', `${base}${HOOK_PATH}`, '--operator', 'alice']);
    expect(waiting.code).toBe(3);
    const id = runIdOf(waiting.stdout);
    const resumed = await run(['resume', id, '--yes', '--notify', `${base}${HOOK_PATH}`]);
    expect(resumed.code).toBe(DONE_DRILLED_ON_CELL);

    expect(paths.every((p) => p === HOOK_PATH)).toBe(true);
    expect(bodies.map((b) => b.state)).toEqual(['started', 'waiting', 'started', 'done']);
    expect(bodies[0]).toMatchObject({ runId: id, runbook: 'recover-deleted-service', mode: 'rehearsal', operator: 'alice' });
    expect(bodies[0]!.text).toBe(`dingo-recover run ${id} (recover-deleted-service, a rehearsal) started by alice`);
    expect(bodies[1]).toMatchObject({ runId: id, state: 'waiting', step: 'confirm-deleted-instance', exitCode: 3 });
    expect(bodies[1]!.text).toMatch(/is waiting for the operator at step confirm-deleted-instance: no answer for confirmation/);
    expect(bodies[1]!.text).toContain(`continue with: dingo-recover resume ${id}`);
    expect(bodies[3]).toMatchObject({ state: 'done', exitCode: DONE_DRILLED_ON_CELL });
    const subject = bodies[3]!.instance as { instanceGuid: string; archiveUrl: string; live: boolean };
    // What came back: the instance, its service name, when, and the data-loss window.
    expect(bodies[3]!.text).toMatch(
      new RegExp(
        `^dingo-recover run ${id} \\(recover-deleted-service, instance ${subject.instanceGuid}, a rehearsal\\) is done: important-db \\(${subject.instanceGuid}\\) is back: without it from its deletion at 2016-03-17T06:10:17Z \\(the scenario's\\) until it came back at \\S+Z \\(this rehearsal's clock\\); data-loss window: up to 9 min: writes after 2016-03-17T06:01:30Z \\(newest archived WAL\\) until the deletion at 2016-03-17T06:10:17Z$`,
      ),
    );
    expect(subject.archiveUrl).toContain(`/backups/${subject.instanceGuid}/wal/`);
    expect(bodies[3]!.outputs).toMatchObject({
      oldGuid: subject.instanceGuid,
      newGuid: expect.any(String),
      reportFile: expect.any(String),
    });
    // Before the instance is found, the run is about nothing yet.
    expect(bodies[0]).toMatchObject({ instance: null, outputs: {} });

    const journal = journalOf(id);
    const sent = journal
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; state?: string; to?: string })
      .filter((e) => e.type === 'notify.sent');
    expect(sent.map((e) => [e.state, e.to])).toEqual([
      ['started', base],
      ['waiting', base],
      ['started', base],
      ['done', base],
    ]);
    for (const text of [journal, waiting.stdout, resumed.stdout, JSON.stringify(bodies)]) {
      expect(text).not.toContain('hook-token-5ecret');
      expect(text).not.toContain(AWS_SECRET);
    }
  });

  it('goes on when the webhook fails, with one warning line for each notice, journaled', async () => {
    status = 500;
    bodies.length = 0;
    const r = await run(['rehearse', '--yes', '--notify', `${base}/hook`]);
    status = 204;
    expect(r.code).toBe(DONE_DRILLED_ON_CELL);
    const warnings = r.stdout.split('\n').filter((l) => l.includes('warning: --notify'));
    expect(warnings).toEqual([
      `warning: --notify ${base} was not told that the run started: it answered HTTP 500 Internal Server Error; the run goes on`,
      `warning: --notify ${base} was not told that the run is done: it answered HTTP 500 Internal Server Error; the run goes on`,
    ]);
    expect(journalOf(runIdOf(r.stdout))).toContain(`"type":"notify.failed","state":"done","to":"${base}"`);
  });

  it('tells the webhook of a run stopped by a signal before it exits, while no step goes on', async () => {
    bodies.length = 0;
    const r = await stoppedBy('SIGTERM', ['rehearse', '--yes', '--notify', `${base}${HOOK_PATH}`]);
    expect(r.code, r.stderr).toBe(130);
    const id = runIdOf(r.stdout);
    expect(bodies.map((b) => b.state)).toEqual(['started', 'interrupted']);
    expect(bodies[1]).toMatchObject({ runId: id, state: 'interrupted', exitCode: 130, message: 'stopped by SIGTERM' });
    expect(bodies[1]!.text).toBe(
      `dingo-recover run ${id} (recover-deleted-service, a rehearsal) was interrupted at step target-space: stopped by SIGTERM; continue with: dingo-recover resume ${id} --state-dir ${stateDir}`,
    );
    const events = journalOf(id)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; state?: string });
    const at = events.findIndex((e) => e.type === 'run.interrupted');
    expect(events.slice(at).map((e) => [e.type, e.state])).toEqual([
      ['run.interrupted', undefined],
      ['notify.sent', 'interrupted'],
    ]);
    expect(events.some((e) => e.type.startsWith('step.'))).toBe(false);
    expect(JSON.stringify(bodies)).not.toContain(AWS_SECRET);
  });

  it('tells the webhook of a hang-up (a dropped SSH session) and journals it; the run resumes to the end', async () => {
    bodies.length = 0;
    const r = await stoppedBy('SIGHUP', ['rehearse', '--yes', '--notify', `${base}/hook`]);
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(130);
    const id = runIdOf(r.stdout);
    expect(r.stdout).toContain('interrupted (SIGHUP (hang-up: the terminal or SSH session closed)); resume with: dingo-recover resume');
    expect(bodies.map((b) => b.state)).toEqual(['started', 'interrupted']);
    expect(bodies[1]).toMatchObject({
      runId: id,
      exitCode: 130,
      message: 'stopped by SIGHUP (hang-up: the terminal or SSH session closed)',
    });
    const interrupted = journalOf(id)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; signal?: string })
      .filter((e) => e.type === 'run.interrupted');
    expect(interrupted).toEqual([expect.objectContaining({ signal: 'SIGHUP' })]);
    const shown = await run(['show', id]);
    expect(shown.stdout).toMatch(/interrupted at \S+ \(SIGHUP \(hang-up: the terminal or SSH session closed\), /);
    const resumed = await run(['resume', id, '--yes']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
  });

  it('refuses a URL that is no http(s) one before the run starts', async () => {
    const r = await run(['rehearse', '--yes', '--notify', 'hooks.slack.com/services/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--notify needs an http:// or https:// URL');
  });

  it("takes a long part of the webhook's path for its token, redacted wherever it appears", async () => {
    const notifier = await notifierFor(`https://hooks.example.com${HOOK_PATH}`);
    expect(notifier?.target).toBe('https://hooks.example.com');
    expect(secrets().redact(`POST ${HOOK_PATH} refused`)).toBe('POST /services/T0001/B0001/[REDACTED] refused');
  });

  it('redacts every secret from the body', () => {
    secrets().register(AWS_SECRET);
    const notice: RunNotice = {
      state: 'failed',
      runId: 'r1',
      runbook: 'recover-instance',
      mode: 'live',
      resumed: false,
      step: 'swap-archive',
      exitCode: 1,
      message: `S3 refused the key ${AWS_SECRET}`,
      operator: null,
      subject: {
        instanceGuid: '6e101b27-ee1b-4f4d-a032-4401a3709ec3',
        archiveUrl: 's3://wal/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/',
        live: false,
      },
      outputs: { oldGuid: '6e101b27-ee1b-4f4d-a032-4401a3709ec3', note: `copied with ${AWS_SECRET}` },
    };
    const body = JSON.stringify(noticeBody(notice));
    expect(body).not.toContain(AWS_SECRET);
    expect(body).toContain('failed at step swap-archive: S3 refused the key [REDACTED]');
    // What the run is about and what it produced go along, redacted as the rest.
    expect(noticeBody(notice)).toMatchObject({
      text: expect.stringContaining('(recover-instance, instance 6e101b27-ee1b-4f4d-a032-4401a3709ec3)'),
      instance: notice.subject,
      outputs: { oldGuid: '6e101b27-ee1b-4f4d-a032-4401a3709ec3', note: 'copied with [REDACTED]' },
    });
  });
});
