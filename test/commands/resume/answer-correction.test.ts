/**
 * A wrong answer a step failed on is corrected where it failed: `resume ID --set key=VALUE`, or asked
 * again at a terminal with the old answer as default; the correction is journaled and shown.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../../src/engine/journal/index.js';
import { DONE_DRILLED_ON_CELL, ROOT, runCli, runIdOf } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { runOnTerminal } from '../../support/terminal.js';

const tmp = tempDirs('dr-correct-');
const SPACE = 'important-space-and-all-databases';

/** A rehearsal whose answers name a space that does not exist: it stops at target-space. */
async function wrongSpace(state: string): Promise<string> {
  const answers = join(state, 'answers.yaml');
  writeFileSync(
    answers,
    readFileSync(resolve(ROOT, 'fixtures/seed-003/answers.yaml'), 'utf8').replace(`space: ${SPACE}`, 'space: importnat-space'),
  );
  const r = await runCli(['rehearse', '--yes', '--answers', answers, '--state-dir', state]);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  return runIdOf(r.stdout);
}

function corrections(state: string, runId: string): unknown[] {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson')).filter((e) => e.type === 'input' && 'was' in e);
}

describe('correcting an answer where a step failed', () => {
  it('the failure names resume --set; --set corrects it, journaled with the old value, and show and the report list it', async () => {
    const state = tmp();
    const runId = await wrongSpace(state);
    const failed = await runCli(['show', runId, '--state-dir', state]);
    expect(failed.stdout).toContain('target-space');

    const stop = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(stop.code).toBe(1);
    expect(stop.stdout.replace(/\s+/g, ' ')).toContain(
      `if an answer step "target-space" used was wrong (org: "acme", space: "importnat-space"), correct it where it failed: dingo-recover resume ${runId} --set org=NAME --state-dir ${state}, or dingo-recover resume ${runId} --set space=NAME --state-dir ${state}`,
    );

    const typo = await runCli(['resume', runId, '--yes', '--set', 'spcae=x', '--state-dir', state]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--set spcae: runbook recover-deleted-service asks no input "spcae"');
    expect(corrections(state, runId)).toEqual([]);

    const fixed = await runCli(['resume', runId, '--yes', '--set', `space=${SPACE}`, '--state-dir', state]);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(fixed.stdout).toContain(`changed from "importnat-space" to "${SPACE}"`);
    expect(corrections(state, runId)).toEqual([
      expect.objectContaining({
        type: 'input',
        name: 'space',
        value: SPACE,
        was: 'importnat-space',
        source: 'set',
        by: expect.any(String),
        at: expect.any(String),
      }),
    ]);
    const show = await runCli(['show', runId, '--state-dir', state]);
    expect(show.stdout).toMatch(new RegExp(`answer space corrected at \\S+ by \\S+ \\(resume --set\\): "importnat-space" → "${SPACE}"`));
    const report = readFileSync(join(state, 'runs', runId, 'report.md'), 'utf8');
    expect(report).toMatch(new RegExp(`- Answer space corrected at \\S+ by \\S+ \\(resume --set\\): "importnat-space" → "${SPACE}"`));
  });

  it("at a terminal, resume asks the failed step's questions again with the old answers as defaults", async () => {
    const state = tmp();
    const runId = await wrongSpace(state);
    const r = await runOnTerminal(
      ['resume', runId, '--yes', '--state-dir', state],
      [
        { when: 'Enter keeps it', type: '' },
        { when: 'Enter keeps it', type: SPACE },
      ],
    );
    expect(r.code, r.screen).toBe(DONE_DRILLED_ON_CELL);
    expect(r.screen).toContain('(step "target-space" failed with this answer; Enter keeps it)');
    expect(r.screen).toContain(`run ${runId} is done`);
    expect(corrections(state, runId)).toEqual([
      expect.objectContaining({ name: 'space', value: SPACE, was: 'importnat-space', source: 'prompt' }),
    ]);
  });
});
