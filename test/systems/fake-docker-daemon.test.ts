/**
 * The cell's fake Docker daemon and its client (test/support/fake-docker): what a command line and
 * its input carry reaches the daemon byte for byte with the client's working folder, its output
 * comes back as the daemon writes it and whole with its exit code, a command that waits lets the
 * others be answered, and once removed (or once the process that
 * started it ends) the daemon is gone, and the client says what Docker's says when no daemon listens.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_DOCKER, fakeDaemon, type FakeDaemon } from '../support/fake-docker/world.js';
import { sampleCell } from '../support/sample-cell.js';
import { leftoverCount } from '../support/leftovers.js';
import { running } from '../support/proc.js';
import { ifStarted } from '../support/started.js';

const ECHO = resolve(import.meta.dirname, '../support/fake-docker/echo.ts');
const NO_DAEMON = 'Cannot connect to the Docker daemon. Is the docker daemon running on this host?\n';

interface Echoed {
  args: string[];
  stdin: string;
  cwd: string;
}

/** The client run to its end: its output as bytes, its error and exit code. */
function docker(host: string, args: string[], input?: Buffer) {
  const r = spawnSync(FAKE_DOCKER, ['--host', host, ...args], { input: input ?? Buffer.alloc(0) });
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

/** The client started, resolved with its exit code and when it ended. */
function started(host: string, args: string[]): Promise<{ status: number | null; at: number }> {
  return new Promise((done) => {
    const child = spawn(FAKE_DOCKER, ['--host', host, ...args], { stdio: 'ignore' });
    child.on('close', (status) => {
      done({ status, at: Date.now() });
    });
  });
}

describe('the fake Docker daemon and its client', () => {
  let daemon: FakeDaemon;
  beforeAll(async () => {
    daemon = await fakeDaemon(sampleCell(), ECHO);
  });
  afterAll(() => ifStarted(daemon)?.remove());

  it('carries each argument and the input of -i exactly, and answers with the exit code and streams', () => {
    const args = ['exec', '-i', 'a container', '', 'it\'s "quoted"', 'two\nlines', 'naïve ✓', '--', '$HOME', 'exit', '3'];
    const input = Buffer.from([0, 1, 2, 0x0a, 0xff, 0xfe, ...Buffer.from('and text')]);
    const r = docker(daemon.host, args, input);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('exit 3\n');
    const echoed = JSON.parse(r.stdout.toString()) as Echoed;
    expect(echoed.args).toEqual(['--host', daemon.host, ...args]);
    expect(Buffer.from(echoed.stdin, 'base64')).toEqual(input);
  });

  it('sends no input without -i, as docker attaches none', () => {
    const r = docker(daemon.host, ['exec', 'c', 'cat'], Buffer.from('not for the container'));
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout.toString()) as Echoed).stdin).toBe('');
  });

  it("gives the daemon the client's working folder", () => {
    const cwd = dirname(FAKE_DOCKER);
    const r = spawnSync(FAKE_DOCKER, ['--host', daemon.host, 'ps'], { cwd });
    expect((JSON.parse(r.stdout.toString()) as Echoed).cwd).toBe(cwd);
  });

  it('writes what the daemon writes as it comes, before the command ends', async () => {
    const child = spawn(FAKE_DOCKER, ['--host', daemon.host, 'say', 'first\n', 'sleep', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    let firstAt = 0;
    child.stdout.on('data', (b: Buffer) => {
      chunks.push(b.toString());
      if (!firstAt && chunks.join('').startsWith('first\n')) firstAt = Date.now();
    });
    const status = await new Promise<number | null>((done) => child.on('close', done));
    expect(status).toBe(0);
    // Written while the daemon still waited its 3 s, not with the answer.
    expect(firstAt).toBeGreaterThan(0);
    expect(Date.now() - firstAt).toBeGreaterThan(2000);
    const all = chunks.join('');
    expect((JSON.parse(all.slice('first\n'.length)) as Echoed).args).toContain('say');
  });

  it('answers other commands while one waits', async () => {
    const slow = started(daemon.host, ['sleep', '3000']);
    // The waiting command reaches the daemon first.
    await sleep(500);
    const quick = started(daemon.host, ['ps']);
    const [s, q] = await Promise.all([slow, quick]);
    expect([s.status, q.status]).toEqual([0, 0]);
    expect(q.at).toBeLessThan(s.at);
  });

  it('is gone once removed: its folder and socket too, and the client cannot connect', async () => {
    const registered = leftoverCount();
    const other = await fakeDaemon(sampleCell(), ECHO);
    // Until removed, the file's set-up stops it after the file, whatever failed (leftovers.ts).
    expect(leftoverCount()).toBe(registered + 1);
    const socket = other.host.slice('unix://'.length);
    expect(docker(other.host, ['ps']).status).toBe(0);
    other.remove();
    expect(leftoverCount()).toBe(registered);
    await expect.poll(() => running(other.pid), { timeout: 5000 }).toBe(false);
    expect(existsSync(dirname(socket))).toBe(false);
    const r = docker(other.host, ['ps']);
    expect([r.status, r.stderr]).toEqual([1, NO_DAEMON]);
  });

  it('ends when the process that started it ends without removing it', async () => {
    const world = resolve(import.meta.dirname, '../support/fake-docker/world.ts');
    const cell = resolve(import.meta.dirname, '../support/sample-cell.ts');
    const script = [
      `import { fakeDaemon } from ${JSON.stringify(world)};`,
      `import { sampleCell } from ${JSON.stringify(cell)};`,
      `const d = await fakeDaemon(sampleCell(), ${JSON.stringify(ECHO)});`,
      'console.log(JSON.stringify({ pid: d.pid, host: d.host }));',
    ].join('\n');
    // Its daemon's error is the starter's: were the daemon to stay, the starter's output would not end either.
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const left = JSON.parse(r.stdout) as { pid: number; host: string };
    try {
      await expect.poll(() => running(left.pid), { timeout: 5000 }).toBe(false);
    } finally {
      if (running(left.pid)) process.kill(left.pid, 'SIGKILL');
      rmSync(dirname(left.host.slice('unix://'.length)), { recursive: true, force: true });
    }
  });

  it('says so when no unix socket is given', () => {
    const r = spawnSync(FAKE_DOCKER, ['ps'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([1, NO_DAEMON]);
    const tcp = spawnSync(FAKE_DOCKER, ['-H', 'tcp://127.0.0.1:2375', 'ps'], { encoding: 'utf8' });
    expect([tcp.status, tcp.stderr]).toEqual([1, NO_DAEMON]);
  });
});
