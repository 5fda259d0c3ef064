/** `runs` shows a header and, for each run, whom it recovers and where it really stands. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processStart } from '../../src/core/process-start.js';
import { runCli, runIdOf } from '../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-runs-'));
  dirs.push(d);
  return d;
}

describe('runs', () => {
  it('names each run’s service, org and space, and says done, waiting, planned, stopped at a step, running or interrupted', async () => {
    const state = stateDir();
    const done = runIdOf((await runCli(['rehearse', '--yes', '--state-dir', state])).stdout);
    const waiting = runIdOf((await runCli(['rehearse', '--state-dir', state])).stdout);
    const planned = runIdOf((await runCli(['rehearse', '--yes', '--plan', '--state-dir', state])).stdout);
    const failed = runIdOf((await runCli(['rehearse', '--yes', '--container-store-root', '/srv/elsewhere/', '--state-dir', state])).stdout);
    const space = runIdOf((await runCli(['rehearse', '--scenario', 'space-scenario', '--yes', '--state-dir', state])).stdout);
    // A run whose lock a live process of this host holds, as a driving process does: killed later by the test.
    const live = runIdOf((await runCli(['rehearse', '--state-dir', state])).stdout);
    const running = spawn('sleep', ['60'], { stdio: 'ignore' });
    const holder = {
      host: hostname(),
      pid: running.pid,
      by: 'op@here',
      startedAt: new Date().toISOString(),
      processStart: processStart(running.pid!),
    };
    writeFileSync(join(state, 'runs', live, 'lock'), JSON.stringify(holder));
    try {
      const r = await runCli(['runs', '--state-dir', state]);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^RUN\s+MODE\s+SERVICE\s+ORG\/SPACE\s+STEPS\s+STATE$/);
      const line = (id: string): string => lines.find((l) => l.startsWith(id))!;
      expect(line(done)).toMatch(/rehearsal\s+important-db\s+acme\/important-space-and-all-databases\s+29\/29\s+done$/);
      expect(line(waiting)).toMatch(/3\/29\s+waiting for the operator: no answer for confirmation "confirm-deleted-instance"/);
      expect(line(planned)).toMatch(/3\/29\s+planned: waits before confirm-deleted-instance$/);
      expect(line(failed)).toMatch(/12\/29\s+stopped at preflight: before anything is stopped or moved/);
      expect(line(space)).toMatch(/-\s+acme\/analytics\s+6\/6\s+done$/);
      expect(line(live)).toMatch(new RegExp(`running as pid ${running.pid}$`));
      const json = JSON.parse((await runCli(['runs', '--json', '--state-dir', state])).stdout) as {
        runs: { runId: string; runningAs: number | null; stands: string }[];
      };
      expect(json.runs.find((x) => x.runId === live)).toMatchObject({ runningAs: running.pid });
    } finally {
      running.kill('SIGKILL');
      await new Promise((resolve) => running.once('exit', resolve));
    }
    // Its holder gone, the run stands where it stopped; a run killed mid-way says so.
    const killed = runIdOf(
      (await runCli(['rehearse', '--yes', '--state-dir', state], { env: { DINGO_RECOVER_FAILPOINTS: 'step:find-deleted-instance' } }))
        .stdout,
    );
    const after = (await runCli(['runs', '--state-dir', state])).stdout.split('\n');
    expect(after.find((l) => l.startsWith(live))).toMatch(/waiting for the operator/);
    expect(after.find((l) => l.startsWith(killed))).toMatch(/2\/29\s+stopped \(its process ended without a word: killed\?\)$/);
  }, 120_000);
});
