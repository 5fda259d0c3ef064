/** `resume` of a run started under another text of its runbook (an older dingo-recover): on when its reached steps are the same. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../support/cli.js';

const stateDir = mkdtempSync(join(tmpdir(), 'dingo-changed-'));
afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli([...args, '--state-dir', stateDir]);
const journalOf = (id: string) => join(stateDir, 'runs', id, 'journal.ndjson');

/** A rehearsal stopped at its first confirmation, its journal then rewritten by `edit`. */
async function waitingRun(edit: (journal: string) => string): Promise<string> {
  const waiting = await run(['rehearse']);
  expect(waiting.code, waiting.stderr).toBe(3);
  const id = runIdOf(waiting.stdout);
  const text = readFileSync(journalOf(id), 'utf8');
  const edited = edit(text);
  expect(edited).not.toBe(text);
  writeFileSync(journalOf(id), edited);
  return id;
}

const otherSha = (j: string) => j.replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'0'.repeat(64)}"`);

describe('resume under a changed runbook', () => {
  it('goes on when the steps the run reached are the same, saying so and journaling it', async () => {
    const id = await waitingRun(otherSha);
    const r = await run(['resume', id, '--yes']);
    expect(r.code, r.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(r.stdout).toContain('the runbook changed since the run started; the steps the run has reached are the same');
    expect(readFileSync(journalOf(id), 'utf8')).toMatch(/"type":"runbook\.changed","from":"0{64}","to":"[0-9a-f]{64}"/);
    const shown = await run(['show', id]);
    expect(shown.stdout).toMatch(/under a changed runbook \(sha256 000000000000… → [0-9a-f]{12}…\)/);
  });

  it('is refused, with nothing but the refusal added to the journal, when a step the run reached is no longer in it', async () => {
    const id = await waitingRun((j) => otherSha(j).replaceAll('"step":"target-space"', '"step":"target-the-space"'));
    const before = readFileSync(journalOf(id), 'utf8');
    const r = await run(['resume', id, '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const said = r.stdout.replace(/\s+/g, ' ');
    expect(said).toContain(
      `changed since run ${id} started: step "target-the-space", which the run has reached, is no longer in the runbook`,
    );
    expect(said).toContain(`abandon ${id} --reason 'the runbook changed'`);
    const after = readFileSync(journalOf(id), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const added = after.slice(before.length).split('\n').filter(Boolean);
    expect(added.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['run.stopped']);
  });
});
