/** A reader that goes away (`| head`, a pager quit) ends the output quietly, and a run stops on the record, resumable. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, DONE_DRILLED_ON_CELL, ROOT, runCli, runIdOf } from '../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-pipe-'));
  dirs.push(d);
  return d;
}

interface Closed {
  code: number | null;
  firstLine: string;
  stderr: string;
}

/** Runs the CLI and closes its standard output after the first line, as `| head -1` does (or at once, as `| true`). */
function headOne(args: string[], atOnce = false): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let firstLine: string | undefined;
    if (atOnce) child.stdout.destroy();
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (firstLine === undefined && out.includes('\n')) {
        firstLine = out.slice(0, out.indexOf('\n'));
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, firstLine: firstLine ?? out, stderr });
    });
  });
}

describe('the output closed under a run', () => {
  it('stops the run as interrupted, without a stack trace, and a resume finishes it', async () => {
    const state = stateDir();
    const closed = await headOne(['rehearse', '--yes', '--state-dir', state]);
    expect(closed.code, closed.stderr).toBe(141);
    expect(closed.stderr).not.toMatch(/EPIPE|\n\s+at /);
    const runId = runIdOf(closed.firstLine);
    expect(closed.stderr).toContain(
      `the output was closed; run ${runId} is interrupted. Resume with: dingo-recover resume ${runId} --state-dir ${state}`,
    );
    const listed = await runCli(['runs', '--json', '--state-dir', state]);
    expect(JSON.parse(listed.stdout).runs).toEqual([expect.objectContaining({ runId, status: 'interrupted' })]);
    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(resumed.stdout).toContain(`run ${runId} is done`);
  });
});

describe('the output closed under a command that is no run', () => {
  it.each([
    ['runs', ['runs']],
    ['explain', ['explain', 'recover-deleted-service']],
  ])('%s ends quietly, as a program killed by SIGPIPE', async (_name, args) => {
    const state = stateDir();
    await runCli(['rehearse', '--yes', '--state-dir', state]);
    const closed = await headOne([...args, '--state-dir', state], true);
    expect(closed.stderr).toBe('');
    expect(closed.code).toBe(141);
  });
});
