import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVolumesTree, manifest, type VolumesTree } from '../support/pg-volumes.js';
import { readJournal } from '../../src/engine/journal/index.js';
import { ifStarted } from '../support/started.js';
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
/** The scratch server a killed check left, and its folder: stopped and removed whatever the test's end. */
let leftover: number | undefined;
let leftoverFolder: string | undefined;

/** The process runs: it is there, and not a zombie its parent has yet to reap. */
function running(pid: number): boolean {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  return status !== '' && !/^State:\s+Z/m.test(status);
}

/** The processes whose command line names `folder`. */
function processesOn(folder: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      const cmdline = existsSync(`/proc/${n}/cmdline`) ? readFileSync(`/proc/${n}/cmdline`, 'utf8') : '';
      return cmdline.includes(folder) && running(Number(n));
    })
    .map(Number);
}

beforeAll(() => {
  tree = buildVolumesTree();
  before = manifest(tree.root);
  work = mkdtempSync(join(tmpdir(), 'volrunbook-'));
  chmodSync(work, 0o755);
}, 120_000);

afterAll(() => {
  if (leftover !== undefined && running(leftover)) process.kill(leftover, 'SIGKILL');
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

  it('stops the scratch server of a check killed mid-step, by the PID in the folder its plan journaled, before proving the dumps again', async () => {
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
    leftover = Number(/pid (\d+)/.exec(note?.type === 'note' ? note.text : '')?.[1]);
    // The kill skipped the check's own stop: its server still runs, on the copy of the user's data in that folder.
    expect(running(leftover), 'the killed check left its server running').toBe(true);
    expect(readFileSync(join(folder, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(leftover));

    const resumed = await cli(['resume', '--yes', ...state]);
    expect(resumed.code, resumed.out).toBe(0);
    const after = readJournal(journal);
    const stopped = `stopped the scratch PostgreSQL (pid ${leftover}) an interrupted attempt left running on ${join(folder, 'data')}`;
    expect(after.some((e) => e.type === 'note' && e.step === 'verify-dumps' && e.text === stopped)).toBe(true);
    expect(after.some((e) => e.type === 'step.probed' && e.step === 'verify-dumps' && e.why.includes(`removed ${folder}`))).toBe(true);
    expect(running(leftover), 'the resume stopped it').toBe(false);
    expect(existsSync(folder)).toBe(false);
    expect(processesOn(folder)).toEqual([]);
    // The check ran again, to its end, in that same folder, and stopped its own server there.
    expect(
      after.filter((e) => e.type === 'step.started' && e.step === 'verify-dumps').map((e) => e.type === 'step.started' && e.plan.folder),
    ).toEqual([folder, folder]);
    expect(after.some((e) => e.type === 'step.finished' && e.step === 'verify-dumps')).toBe(true);
  }, 300_000);
});
