import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVolumesTree, manifest, type VolumesTree } from '../support/pg-volumes.js';
import { readJournal } from '../../src/engine/journal/index.js';
import { ifStarted } from '../support/started.js';
import { allPids, procFile, processTree, running } from '../support/proc.js';
import { CLI } from '../support/cli.js';

function cli(
  args: string[],
  failpoints = '',
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const [program, ...pre] = CLI;
    const child = spawn(program!, [...pre, ...args], {
      env: { ...process.env, CI: 'true', DINGO_RECOVER_FAILPOINTS: failpoints, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, out });
    });
  });
}

let tree: VolumesTree;
let work: string;
let before: Map<string, string>;
/** The folder of a killed check: removed whatever the test's end. */
let leftoverFolder: string | undefined;

/**
 * The CLI started to stop itself (SIGSTOP) once the check's scratch server runs, and the processes it
 * and its children then are; `end` ends it one way (a signal, or its output closed), lets it go on
 * (SIGCONT), and gives how it ended.
 */
async function stoppedInCheck(
  args: string[],
): Promise<{ pid: number; tree: number[]; end(how: NodeJS.Signals | 'closed pipe'): Promise<{ code: number | null; out: string }> }> {
  const [program, ...pre] = CLI;
  const child = spawn(program!, [...pre, ...args], {
    env: { ...process.env, CI: 'true', DINGO_RECOVER_FAILPOINTS: 'volumes.verify-dumps=stop' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      resolve(code);
    });
  });
  const state = (): string => /^State:\s+(\S)/m.exec(procFile(child.pid!, 'status'))?.[1] ?? '';
  await expect.poll(state, { timeout: 180_000, interval: 200 }).toBe('T');
  return {
    pid: child.pid!,
    tree: processTree(child.pid!),
    async end(how) {
      if (how === 'closed pipe') child.stdout.destroy();
      else process.kill(child.pid!, how);
      process.kill(child.pid!, 'SIGCONT');
      return { code: await closed, out };
    },
  };
}

/** The sandbox folders (systems/postgres/sandbox-folders.ts) the tool's process `pid` made in the run folder, still there. */
function sandboxFoldersOf(pid: number): string[] {
  return readdirSync('/run/dingo-recover').filter((name) => name.startsWith(`sandbox-${pid}-`));
}

/** The processes whose command line names `folder`. */
function processesOn(folder: string): number[] {
  return allPids().filter((n) => procFile(n, 'cmdline').includes(folder) && running(n));
}

beforeAll(async () => {
  tree = await buildVolumesTree();
  before = manifest(tree.root);
  work = mkdtempSync(join(tmpdir(), 'volrunbook-'));
  chmodSync(work, 0o755);
}, 120_000);

afterAll(() => {
  if (leftoverFolder) rmSync(leftoverFolder, { recursive: true, force: true });
  ifStarted(tree)?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('recover-docker-volume', () => {
  it('resumes after a crash in the copy, dumps the wanted database, proves it restores and leaves the volumes as they were', async () => {
    const answers = join(work, 'answers.yaml');
    const out = join(work, 'dumps');
    const scratch = join(work, 'scratch');
    writeFileSync(answers, `inputs:\n  outDir: ${out}\n  volumesRoot: ${tree.root}\n  scratchDir: ${scratch}\n`);
    const state = ['--state-dir', join(work, 'state')];

    const crashed = await cli(['recover', '--runbook', 'recover-docker-volume', '--answers', answers, '--yes', ...state], 'volumes.copy');
    expect(crashed.signal).toBe('SIGKILL');

    // The operator's locale is one this machine lacks: the scratch cluster that proves the dump restores starts anyway.
    const resumed = await cli(['resume', '--yes', '--verbose', ...state], '', { LANG: 'xx_XX.UTF-8', LC_ALL: 'xx_XX.UTF-8' });
    expect(resumed.out).toContain('an unfinished copy was moved aside');
    expect(resumed.code).toBe(0);
    expect(readdirSync(scratch).filter((n) => n.includes('.partial-'))).toHaveLength(1);

    const dump = join(out, 'originalenclosure.dump');
    expect(existsSync(dump)).toBe(true);
    const listing = execFileSync('/usr/lib/postgresql/15/bin/pg_restore', ['-l', dump]).toString();
    expect(listing).toMatch(/TABLE DATA blog posts/);
    expect(listing).toMatch(/TABLE DATA public visits/);
    // The postgres database holds a table too: it is dumped as well, and only because it does.
    const postgres = join(out, 'postgres.dump');
    expect(existsSync(postgres)).toBe(true);
    expect(execFileSync('/usr/lib/postgresql/15/bin/pg_restore', ['-l', postgres]).toString()).toMatch(/TABLE DATA public newsletter/);
    expect(manifest(tree.root)).toEqual(before);

    // The incident report is the volume's, with nothing of a Cloud Foundry recovery in it.
    const runs = join(work, 'state', 'runs');
    const report = readFileSync(join(runs, readdirSync(runs)[0]!, 'report.md'), 'utf8');
    expect(report).toMatch(/^# recover-docker-volume\n/);
    expect(report).toContain(`- Recovered PostgreSQL data from Docker volume ${tree.names.wanted}`);
    expect(report).toMatch(/- Newest timestamp found in the data: 2023-0[23]-/);
    expect(report).toContain('- Restore a dump where it belongs');
    for (const cf of ['Org / space', 'Deleted instance', 'archived WAL', 'quarantined archive']) expect(report).not.toContain(cf);
  }, 300_000);

  it('leaves nothing of a check killed mid-step (SIGKILL) running: its server and sandbox end with the tool; the resume removes its folder and proves the dumps again', async () => {
    const answers = join(work, 'killed-answers.yaml');
    writeFileSync(
      answers,
      `inputs:\n  outDir: ${join(work, 'killed-dumps')}\n  volumesRoot: ${tree.root}\n  scratchDir: ${join(work, 'killed-scratch')}\n`,
    );
    const state = ['--state-dir', join(work, 'killed-state')];

    const killed = await cli(
      ['recover', '--runbook', 'recover-docker-volume', '--answers', answers, '--yes', ...state],
      'volumes.verify-dumps',
    );
    expect(killed.signal).toBe('SIGKILL');
    const runs = join(work, 'killed-state', 'runs');
    const journal = join(runs, readdirSync(runs)[0]!, 'journal.ndjson');
    const events = readJournal(journal);
    const started = events.find((e) => e.type === 'step.started' && e.step === 'verify-dumps');
    const folder = started?.type === 'step.started' ? String(started.plan.folder) : '';
    expect(folder.startsWith(join(tmpdir(), 'dingo-restore-check-'))).toBe(true);
    leftoverFolder = folder;
    const note = events.find(
      (e) => e.type === 'note' && e.step === 'verify-dumps' && e.text.includes('the scratch PostgreSQL of the check runs as pid'),
    );
    const pid = Number(/pid (\d+)/.exec(note?.type === 'note' ? note.text : '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    // The kill skipped the check's own stop, but its server ended with the tool: the sandbox's init went with it.
    await expect.poll(() => running(pid), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => processesOn(folder), { timeout: 10_000 }).toEqual([]);
    expect(existsSync(join(folder, 'data', 'PG_VERSION')), 'the copy the killed check restored into is still there').toBe(true);

    const resumed = await cli(['resume', '--yes', ...state]);
    expect(resumed.code, resumed.out).toBe(0);
    const after = readJournal(journal);
    expect(after.some((e) => e.type === 'step.probed' && e.step === 'verify-dumps' && e.why.includes(`removed ${folder}`))).toBe(true);
    expect(existsSync(folder)).toBe(false);
    expect(processesOn(folder)).toEqual([]);
    // The check ran again, to its end, in that same folder, and stopped its own server there.
    expect(
      after.filter((e) => e.type === 'step.started' && e.step === 'verify-dumps').map((e) => e.type === 'step.started' && e.plan.folder),
    ).toEqual([folder, folder]);
    expect(after.some((e) => e.type === 'step.finished' && e.step === 'verify-dumps')).toBe(true);
  }, 300_000);

  it('leaves nothing running when the tool is stopped during "Prove each dump restores" (SIGTERM, a hang-up, Ctrl-C, a closed output), and abandoning the run removes its copies of the data, saying what and how large', async () => {
    const answers = join(work, 'ways-answers.yaml');
    const copies = join(work, 'ways-scratch');
    writeFileSync(answers, `inputs:\n  outDir: ${join(work, 'ways-dumps')}\n  volumesRoot: ${tree.root}\n  scratchDir: ${copies}\n`);
    const state = ['--state-dir', join(work, 'ways-state')];
    const runs = join(work, 'ways-state', 'runs');
    const ways: [NodeJS.Signals | 'closed pipe', number][] = [
      ['SIGTERM', 130],
      ['SIGHUP', 130],
      ['SIGINT', 130],
      ['closed pipe', 141],
    ];
    let first = true;
    for (const [how, exit] of ways) {
      const stopped = await stoppedInCheck(
        first ? ['recover', '--runbook', 'recover-docker-volume', '--answers', answers, '--yes', ...state] : ['resume', '--yes', ...state],
      );
      first = false;
      const events = readJournal(join(runs, readdirSync(runs)[0]!, 'journal.ndjson'));
      const started = events.filter((e) => e.type === 'step.started' && e.step === 'verify-dumps').at(-1);
      const folder = started?.type === 'step.started' ? String(started.plan.folder) : '';
      leftoverFolder = folder;
      // Stopped with its check's server up: the server, its sandbox and every program of it are the CLI's descendants.
      expect(processesOn(folder).length, `${how}: the check's server runs on ${folder}`).toBeGreaterThan(0);
      expect(stopped.tree.length, how).toBeGreaterThan(3);
      expect(sandboxFoldersOf(stopped.pid), how).toHaveLength(1);
      const ended = await stopped.end(how);
      expect(ended.code, `${how}\n${ended.out}`).toBe(exit);
      await expect.poll(() => stopped.tree.filter(running), { timeout: 10_000, message: `${how}: left running` }).toEqual([]);
      expect(processesOn(folder), how).toEqual([]);
      // Its sandbox's folder goes with the process, not at the next sandbox made on the machine.
      expect(sandboxFoldersOf(stopped.pid), how).toEqual([]);
    }

    const runDir = join(runs, readdirSync(runs)[0]!);
    const copy = readdirSync(copies).filter((n) => !n.includes('.partial-'));
    expect(copy).toHaveLength(1);
    const abandoned = await cli(['abandon', readdirSync(runs)[0]!, '--reason', 'the user restored from their own dump', ...state]);
    expect(abandoned.code, abandoned.out).toBe(0);
    expect(abandoned.out).toMatch(
      new RegExp(
        `removed ${join(copies, copy[0]!).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+(\\.\\d+)? [KMG]?i?B\\): the run's copies of the user's data`,
      ),
    );
    expect(existsSync(join(copies, copy[0]!))).toBe(false);
    // The dumps are what the run made for the user: they stay.
    expect(readdirSync(join(work, 'ways-dumps')).length).toBeGreaterThan(0);
    expect(existsSync(runDir)).toBe(true);
  }, 600_000);
});
