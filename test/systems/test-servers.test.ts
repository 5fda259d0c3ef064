/**
 * The test servers clean up after a setup that fails half-way, and a missing tool is named. A test
 * run stopped by SIGINT, or killed outright, leaves no server of it running: the signal stops them,
 * and the next run's global setup stops what a killed run left. A folder that cannot be removed is
 * said, and what was stopped in it told all the same.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { leftoverCount, stopLeftovers } from '../support/leftovers.js';
import { needTool, sshdAvailable, startSshd, sudoRuleOf, type Sshd } from '../support/sshd.js';
import {
  alive,
  clearFolder,
  mountsUnder,
  openServers,
  processesNaming,
  stopServers,
  withoutRegistry,
  type ServerEntry,
} from '../support/server-registry.js';
import { runFolder, setup as suiteSetup } from '../support/suite-setup.js';

/** The sudo rule of the interrupted run's sshd (test/support/interrupted/servers.test.ts). */
const sudoRule = (port: number): string => sudoRuleOf('dingoleft', port);

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

describe.skipIf(!sshdAvailable)('a setup that fails half-way', () => {
  it('leaves the server that did start registered, and stopping the leftovers stops it and removes its folder', async () => {
    const before = leftoverCount();
    const [good, bad] = await Promise.allSettled([
      startSshd({ user: 'dingoleft' }),
      startSshd({ user: 'dingoleft', config: ['NoSuchSshdOption yes'] }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    const started = (good as PromiseFulfilledResult<Sshd>).value;
    // Only the server that started is left: the one that failed took its folder and sudo rule with it.
    expect(leftoverCount()).toBe(before + 1);
    expect(await listens(started.port)).toBe(true);
    expect(alive(started.pid)).toBe(true);
    await stopLeftovers();
    expect(leftoverCount()).toBe(0);
    // The process, not the port: a freed port may be handed to another file's server at once.
    expect(alive(started.pid)).toBe(false);
    expect(existsSync(started.dir)).toBe(false);
  });

  it('a server stopped by its test is no leftover', async () => {
    const before = leftoverCount();
    const sshd = await startSshd({ user: 'dingoleft' });
    expect(leftoverCount()).toBe(before + 1);
    await sshd.stop();
    expect(leftoverCount()).toBe(before);
  });
});

it('a missing tool is named with the package that has it', () => {
  expect(() => {
    needTool('dingo-no-such-tool', 'some-package');
  }).toThrow('dingo-no-such-tool is not installed: the ssh tests need it (apt-get install some-package)');
});

const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');

async function until(what: string, done: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${String(ms)} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A `vitest run` of test/support/interrupted/ (an sshd and a moto server, then a wait), in a suite
 * root of its own and with a temp folder inside `root`: what its workers make there (their
 * environment folders, the servers' folders) and cannot remove when killed goes with `root`.
 */
function interruptibleRun(root: string) {
  const report = join(root, 'report.json');
  const suite = join(root, 'suite');
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  const env: NodeJS.ProcessEnv = {
    ...withoutRegistry(process.env),
    TMPDIR: tmp,
    DINGO_TEST_INTERRUPTED: '1',
    DINGO_TEST_SUITE_ROOT: suite,
    DINGO_TEST_INTERRUPT_REPORT: report,
  };
  // Its own process group, so that the test can end whatever is left of it, servers last.
  const child: ChildProcess = spawn(process.execPath, [VITEST, 'run'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  return {
    child,
    exited,
    registry: join(suite, 'servers.ndjson'),
    output: () => output,
    /** The servers it started, once it has written their ports; fails when it ends first. */
    async started(): Promise<{
      sshd: { port: number; dir: string };
      moto: { port: number };
      postgres: { dataDir: string };
      scratch: { dir: string };
      servers: ServerEntry[];
    }> {
      await until(`the interruptible run's servers\n${output}`, () => existsSync(report) || child.exitCode !== null);
      expect(child.exitCode, output).toBeNull();
      const ports = JSON.parse(readFileSync(report, 'utf8'));
      return { ...ports, servers: openServers(join(suite, 'servers.ndjson')) };
    },
  };
}

describe.skipIf(!sshdAvailable)('a test run stopped before its end', () => {
  const roots: string[] = [];
  const runs: ReturnType<typeof interruptibleRun>[] = [];
  afterEach(() => {
    // Whatever the test found, nothing of the run outlives it.
    for (const run of runs.splice(0)) {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // its group is gone
      }
      stopServers(run.registry, () => true);
    }
    // The tool's scratch server is in no registry: whatever runs in the root goes with it.
    for (const root of roots.splice(0)) clearFolder(root);
  });
  const start = (): ReturnType<typeof interruptibleRun> => {
    const root = mkdtempSync(join(tmpdir(), 'dr-interrupted-'));
    // The postgres account runs the run's cluster from a folder inside it.
    chmodSync(root, 0o711);
    roots.push(root);
    const run = interruptibleRun(root);
    runs.push(run);
    return run;
  };

  it("by SIGINT to vitest mid-test: its sshd, moto server, PostgreSQL and the tool's scratch server are stopped and the sshd folder removed", async () => {
    const run = start();
    const { sshd, moto, postgres, scratch, servers } = await run.started();
    expect(servers.map((e) => e.what).sort()).toEqual(['moto_server', 'postgres', 'sshd']);
    expect(servers.find((e) => e.what === 'postgres')?.marker).toBe(postgres.dataDir);
    expect(servers.every((e) => alive(e.pid))).toBe(true);
    expect(await listens(sshd.port)).toBe(true);
    expect(await listens(moto.port)).toBe(true);
    // The tool's scratch server is in no registry: it runs in the run's temporary folder.
    expect(processesNaming(scratch.dir).length).toBeGreaterThan(0);
    expect(servers.some((e) => e.marker.includes(scratch.dir))).toBe(false);
    process.kill(run.child.pid!, 'SIGINT');
    expect(await run.exited, run.output()).toBe(130);
    expect(run.output()).toMatch(/test run stopped by SIGINT: stopped .*sshd/);
    expect(run.output()).toMatch(/test run stopped by SIGINT: stopped in its temporary folder .*postgres \(pid \d+\)/);
    expect(processesNaming(scratch.dir)).toEqual([]);
    // Their processes, not their ports: a freed port may be handed to another file's server at once.
    expect(servers.filter((e) => alive(e.pid))).toEqual([]);
    expect(existsSync(sshd.dir)).toBe(false);
    expect(existsSync(sudoRule(sshd.port))).toBe(false);
    expect(openServers(run.registry)).toEqual([]);
    // The run's folder, with its workers' environment folders, went with it.
    expect(existsSync(runFolder(join(run.registry, '..'), run.child.pid!))).toBe(false);
  }, 180_000);

  it("killed outright (SIGKILL of vitest and its worker): the next run's global setup stops the servers it left, the tool's scratch server too", async () => {
    const run = start();
    const { sshd, scratch, servers } = await run.started();
    const workers = readdirSync('/proc').filter((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(run.child.pid);
      } catch {
        return false;
      }
    });
    process.kill(run.child.pid!, 'SIGKILL');
    for (const pid of workers) process.kill(Number(pid), 'SIGKILL');
    await run.exited;
    // No handler ran: the servers outlive the run, and so do the sshd's sudo rule and the run's folder with its workers' environment folders.
    expect(existsSync(sudoRule(sshd.port))).toBe(true);
    const folder = runFolder(join(run.registry, '..'), run.child.pid!);
    expect(readdirSync(folder).filter((name) => name.startsWith('dr-test-env-')).length).toBeGreaterThan(0);
    // Its folders stay mounted in memory (test/support/in-memory.ts) until the next run's setup.
    const temp = readFileSync(join(folder, 'tmpdir'), 'utf8');
    const inMemory = process.env.DINGO_TEST_TMPFS === '0' ? [] : [folder, temp];
    expect([...mountsUnder(folder), ...mountsUnder(temp)]).toEqual(inMemory);
    expect(
      servers
        .filter((e) => alive(e.pid))
        .map((e) => e.what)
        .sort(),
    ).toEqual(['moto_server', 'postgres', 'sshd']);
    // The tool's scratch server is not asserted alive here: its sandbox's init ends it once the process that
    // opened the sandbox is gone (SIGKILL included), so it may already have ended; either way none is left below.
    // The next run's global setup, here (setup.ts puts the environment back after the test).
    process.env.DINGO_TEST_SUITE_ROOT = join(run.registry, '..');
    const teardown = suiteSetup();
    try {
      expect(servers.filter((e) => alive(e.pid))).toEqual([]);
      expect(processesNaming(scratch.dir)).toEqual([]);
      expect(existsSync(scratch.dir)).toBe(false);
      expect(existsSync(sshd.dir)).toBe(false);
      expect(existsSync(sudoRule(sshd.port))).toBe(false);
      expect(openServers(run.registry)).toEqual([]);
      expect(existsSync(folder)).toBe(false);
      expect([...mountsUnder(folder), ...mountsUnder(temp)]).toEqual([]);
      expect(existsSync(temp)).toBe(false);
      // This setup's own folder is there until its teardown.
      expect(existsSync(runFolder(join(run.registry, '..'), process.pid))).toBe(true);
    } finally {
      teardown();
    }
    expect(existsSync(runFolder(join(run.registry, '..'), process.pid))).toBe(false);
  }, 180_000);
});

describe('clearing a folder', () => {
  it('says what it stopped and that the folder is left when it cannot be removed, throwing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-clear-'));
    // A process naming the folder, and a file in it no one may remove (immutable: root too).
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)', `${dir}/`], { stdio: 'ignore' });
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      sleeper.once('exit', (_code, signal) => {
        resolve(signal);
      }),
    );
    const stuck = join(dir, 'stuck');
    writeFileSync(stuck, '');
    execFileSync('chattr', ['+i', stuck]);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const cleared = clearFolder(dir);
      expect(cleared.stopped).toEqual([`node (pid ${String(sleeper.pid)})`]);
      expect(cleared.left).toMatch(new RegExp(`^${dir} is left \\(.+\\): the next test run removes it$`));
      expect(await ended, 'the process naming the folder is stopped').not.toBeNull();
    } finally {
      execFileSync('chattr', ['-i', stuck]);
      sleeper.kill('SIGKILL');
    }
    expect(clearFolder(dir)).toEqual({ stopped: [] });
    expect(existsSync(dir)).toBe(false);
  });
});
