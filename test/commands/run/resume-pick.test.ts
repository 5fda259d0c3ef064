/** `resume` without a run id: the one unfinished run, or a choice among several, never the newest taken silently. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../../src/engine/journal/index.js';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { runOnTerminal } from '../../support/terminal.js';

const tmp = tempDirs('dr-resume-pick-');

/** A rehearsal planned and left unfinished (it waits before its first confirmation). */
async function plannedRun(state: string): Promise<string> {
  const r = await runCli(['rehearse', '--yes', '--plan', '--state-dir', state]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return runIdOf(r.stdout);
}

function resumes(state: string, runId: string): number {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson')).filter((e) => e.type === 'run.resumed').length;
}

describe('resume without a run id', () => {
  it('takes the one unfinished run', async () => {
    const state = tmp();
    const only = await plannedRun(state);
    const r = await runCli(['resume', '--yes', '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(r.stdout).toContain(`resumes run ${only}:`);
    expect(r.stdout).toContain(`run ${only} is done`);
  });

  it('with several and no terminal, lists them and resumes none (exit 3)', async () => {
    const state = tmp();
    const older = await plannedRun(state);
    const newer = await plannedRun(state);
    const r = await runCli(['resume', '--yes', '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toContain(`2 unfinished runs in ${state}, newest first:`);
    const listed = r.stderr.split('\n').filter((l) => l.startsWith(`  ${older}`) || l.startsWith(`  ${newer}`));
    expect(listed.map((l) => l.trim().split(/\s+/)[0])).toEqual([newer, older]);
    expect(listed[0]).toContain('rehearsal recover-deleted-service (important-db in acme/important-space-and-all-databases), 3 steps done');
    expect(listed[0]).toContain('planned: waits before confirm-deleted-instance');
    expect(r.stderr).toContain(`dingo-recover resume ${newer}`);
    expect(resumes(state, older)).toBe(0);
    expect(resumes(state, newer)).toBe(0);
  });

  it('with several at a terminal, asks which, and resumes the one chosen', async () => {
    const state = tmp();
    const older = await plannedRun(state);
    const newer = await plannedRun(state);
    // The newest is listed first; one step down is the older run.
    const r = await runOnTerminal(['resume', '--yes', '--state-dir', state], [{ when: 'which one continues?', type: '\x1b[B' }]);
    expect(r.code, r.screen).toBe(DONE_DRILLED_ON_CELL);
    expect(r.screen).toContain(`resumes run ${older}:`);
    expect(r.screen).toContain(`run ${older} is done`);
    expect(resumes(state, older)).toBe(1);
    expect(resumes(state, newer)).toBe(0);
  });
});
