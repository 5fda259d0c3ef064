/** Each step states its result in words on the default screen: no template syntax, no hidden reason, no "no outputs". */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, ROOT, runCli } from '../../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-words-'));
  dirs.push(d);
  return d;
}

describe('the default screen in words', () => {
  it('a skipped step says why in words, the drill says why not here and where it drilled, and nothing to rebind says so', async () => {
    const state = stateDir();
    const answers = join(state, 'answers.yaml');
    const seed = readFileSync(resolve(ROOT, 'fixtures/seed-003/answers.yaml'), 'utf8');
    writeFileSync(answers, seed.replace('plan: cluster', 'plan: solo').replace('apps: [their-app]', 'apps: []'));
    const r = await runCli(['rehearse', '--yes', '--answers', answers, '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(r.stdout).not.toContain('${');
    expect(r.stdout).not.toContain('no outputs');
    expect(r.stdout).toMatch(/↷ \[27\/29\] Grow the instance to the user's plan — skipped: size-for-plan's grow is false/);
    expect(r.stdout).toMatch(/✔ \[5\/29\] Drill the old archive .* — not drilled here \(the archive was written by PostgreSQL 9\.5/);
    expect(r.stdout).toMatch(
      /✔ \[14\/29\] Drill the old archive on the cell, in the new container's image — drilled in cfcommunity\/postgresql-patroni:9\.5 on 10\.58\.111\.150: consistent, 4 tables, 18,230 rows, replayed to 0\/60/,
    );
    expect(r.stdout).toMatch(/✔ \[24\/29\] Rebind the apps — nothing to rebind: the user named no apps/);
    expect(r.stdout).toMatch(/✔ \[25\/29\] Restart the apps — nothing to restart/);
  });

  it('a stop that waits for the operator shows as waiting, not failed', async () => {
    const r = await runCli(['rehearse', '--state-dir', stateDir()]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^⏸ \[4\/29\] Confirm .* — waiting for the operator \(/m);
    expect(r.stdout).not.toMatch(/^✖ \[4\/29\]/m);
  });
});
