import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVolumesTree, manifest, type VolumesTree } from '../support/pg-volumes.js';
import { ifStarted } from '../support/started.js';

const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../support/volumes-cli.ts', import.meta.url));

function cli(
  args: string[],
  failpoints = '',
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', `file://${tsxLoader}`, CLI, ...args], {
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

beforeAll(() => {
  tree = buildVolumesTree();
  before = manifest(tree.root);
  work = mkdtempSync(join(tmpdir(), 'volrunbook-'));
  chmodSync(work, 0o755);
}, 120_000);

afterAll(() => {
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
});
