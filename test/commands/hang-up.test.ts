/**
 * A lost SSH session or a closed terminal sends the run SIGHUP: it stops as Ctrl-C and SIGTERM stop it, on the
 * record, told to --notify and resumable, instead of ending without a word.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runIdOf, SOURCE_CLI } from '../support/cli.js';
import { tempDirForAll } from '../support/temp-dirs.js';

const stateDir = tempDirForAll('dingo-hang-up-');
let server: Server;
let base = '';
const bodies: Record<string, unknown>[] = [];
/** Called with each notice as it arrives; the webhook answers once the returned promise settles. */
let arrived: (body: Record<string, unknown>) => Promise<void> | void = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      bodies.push(body);
      void Promise.resolve(arrived(body)).then(() => res.writeHead(204).end());
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

const run = (args: string[], onStart?: (pid: number) => void) =>
  runCli([...args, '--state-dir', stateDir], { program: SOURCE_CLI, onStart });

describe('a hang-up (SIGHUP)', () => {
  it('interrupts the run on the record, tells the webhook, and the run resumes to the end', async () => {
    let pid = 0;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    arrived = (body) => {
      if (body.state !== 'started') return;
      process.kill(pid, 'SIGHUP');
      return held;
    };
    let r;
    try {
      r = await run(['rehearse', '--yes', '--notify', `${base}/hook`], (p) => (pid = p));
    } finally {
      release();
      arrived = () => undefined;
    }
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(130);
    const id = runIdOf(r.stdout);
    expect(r.stdout).toContain(
      `interrupted (SIGHUP (hang-up: the terminal or SSH session closed)); resume with: dingo-recover resume ${id}`,
    );
    expect(bodies.map((b) => b.state)).toEqual(['started', 'interrupted']);
    expect(bodies[1]).toMatchObject({
      runId: id,
      exitCode: 130,
      message: 'stopped by SIGHUP (hang-up: the terminal or SSH session closed)',
    });

    const events = readFileSync(join(stateDir, 'runs', id, 'journal.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; signal?: string });
    expect(events.filter((e) => e.type === 'run.interrupted')).toEqual([expect.objectContaining({ signal: 'SIGHUP' })]);

    const shown = await run(['show', id]);
    expect(shown.stdout).toMatch(/interrupted at \S+ \(SIGHUP \(hang-up: the terminal or SSH session closed\), /);

    const resumed = await run(['resume', id, '--yes']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
  });
});
