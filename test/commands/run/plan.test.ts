/** `--plan`: every reading step runs, the run stops before the first change, and a resume goes on from there. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../../src/engine/journal/index.js';
import { World, loadScenario } from '../../../src/rehearsal/world.js';
import { DONE_DRILLED_ON_CELL, ROOT, runCli, runIdOf } from '../../support/cli.js';

const SEED = loadScenario(resolve(ROOT, 'fixtures/seed-003'));
const OLD = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
const BUCKET = 'our-postgresql-backups';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-plan-'));
  dirs.push(d);
  return d;
}

/** The ids of the steps the journal says were confirmed. */
function confirmed(state: string, runId: string): string[] {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson')).flatMap((e) => (e.type === 'confirm' ? [e.step] : []));
}

/** The ids of the steps the journal says started. */
function started(state: string, runId: string): string[] {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson')).flatMap((e) => (e.type === 'step.started' ? [e.step] : []));
}

describe('recover --plan (rehearsed)', () => {
  it('reads up to the first confirmation, confirms nothing even with --yes, lists what would change, and a resume asks it', async () => {
    const state = stateDir();
    const planned = await runCli(['rehearse', '--yes', '--plan', '--state-dir', state]);
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    const runId = runIdOf(planned.stdout);
    // The deleted instance's facts are shown; the plan stops before its confirmation, which it never gives.
    expect(planned.stdout).toContain(OLD);
    expect(planned.stdout).toContain(
      'PLAN: nothing has been changed. Every step before [4/29] only read; from there a recovery would run:',
    );
    expect(planned.stdout).toContain('  [4/29] Confirm which deleted instance comes back (reads, asks to confirm)');
    expect(planned.stdout).toContain('  [15/29] Stop the new container (destructive, asks to confirm)');
    expect(planned.stdout).toContain(
      "  [27/29] Grow the instance to the user's plan (writes, asks to confirm, only when size-for-plan's grow)",
    );
    expect(planned.stdout).toContain('the first that asks to confirm: a plan confirms nothing');
    expect(planned.stdout).toContain(`continue with: dingo-recover resume ${runId} --state-dir ${state}`);
    expect(started(state, runId)).toEqual(['target-space', 'find-deleted-instance', 'inspect-old-archive']);
    expect(confirmed(state, runId)).toEqual([]);
    // Nothing on the simulated platform changed: no service, the new prefix empty.
    const w = World.load(join(state, 'runs', runId), SEED);
    expect(w.cf.instances.map((s) => s.guid)).not.toContain(NEW);
    expect(Object.keys(w.s3[BUCKET]!).filter((k) => k.startsWith(`backups/${NEW}/`))).toEqual([]);
    expect(Object.keys(w.s3[BUCKET]!).filter((k) => k.startsWith(`backups/${OLD}/wal/`))).toHaveLength(10);

    // The same plan again: the read steps are done, and it stops at the same place, still unconfirmed.
    const again = await runCli(['resume', runId, '--yes', '--plan', '--state-dir', state]);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('Every step before [4/29] only read');
    expect(confirmed(state, runId)).toEqual([]);

    // The live resume asks the confirmation the plan did not give: with no terminal and no --yes, it waits for it.
    const asked = await runCli(['resume', runId, '--state-dir', state]);
    expect(asked.code, asked.stdout + asked.stderr).toBe(3);
    expect(asked.stdout).toContain('no answer for confirmation "confirm-deleted-instance"');
    expect(confirmed(state, runId)).toEqual([]);

    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(resumed.stdout).toContain(`run ${runId} is done`);
    expect(started(state, runId)).toContain('flush-data');
    expect(confirmed(state, runId)).toContain('confirm-deleted-instance');
  });

  it('a space: stops before the space plan is confirmed', async () => {
    const state = stateDir();
    const planned = await runCli(['rehearse', '--scenario', 'space-scenario', '--yes', '--plan', '--state-dir', state]);
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    const runId = runIdOf(planned.stdout);
    expect(planned.stdout).toContain('  [3/6] Recreate the space (writes, only when the answer recreateSpace)');
    expect(planned.stdout).toContain('  [5/6] Recover each instance (runs its steps for each item, changing the platform)');
    expect(started(state, runId)).toEqual(['find-instances']);
    expect(confirmed(state, runId)).toEqual([]);
  });
});
