/**
 * A merge back into an instance with no live database is refused before anything is restored: the
 * seed incident's deleted important-db rehearsed by restore-to-time with tables to merge, then resumed
 * without them as the refusal says.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeBackActions } from '../../src/actions/merge-back.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { runCli } from '../support/cli.js';

const check = mergeBackActions.find((a) => a.name === 'pitr.merge-check')!;
const DELETED = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'merge-deleted-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const startedSteps = async (runDir: string): Promise<string[]> =>
  (await readFile(join(runDir, 'journal.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step?: string })
    .filter((e) => e.type === 'step.started')
    .map((e) => e.step!);

describe('a merge back into a deleted instance', () => {
  it('is refused before the restore, saying there is no live database and what to do instead; resumed without it, the copy is restored beside it', async () => {
    const answers = join(dir, 'answers.yaml');
    const state = join(dir, 'state');
    await writeFile(
      answers,
      `inputs:
  org: acme
  space: important-space-and-all-databases
  instance: important-db
  targetTime: "2016-03-17T05:00:00Z"
  merge: [public.orders]
choose:
  deletedInstance: ${DELETED}
`,
    );
    const first = await runCli(['rehearse', '--runbook', 'restore-to-time', '--yes', '--answers', answers, '--state-dir', state], {});
    const text = first.stdout + first.stderr;
    expect(first.code, text).toBe(2);
    expect(text).toContain(`the instance ${DELETED} is deleted: a deleted instance has no live database to merge public.orders into`);
    expect(text).toMatch(/nothing was restored\. Restore the copy beside it without the merge/);
    expect(text).toMatch(/or recover the instance first/);
    const [runId] = await readdir(join(state, 'runs'));
    const runDir = join(state, 'runs', runId!);
    expect(text).toContain(`resume ${runId!} --set merge=`);
    const started = await startedSteps(runDir);
    expect(started).toContain('check-merge');
    expect(started).not.toContain('restore');

    const resumed = await runCli(['resume', runId!, '--yes', '--set', 'merge=', '--state-dir', state]);
    const after = resumed.stdout + resumed.stderr;
    // Done with warnings: the seed's 9.5 archive is not restored here.
    expect(resumed.code, after).toBe(8);
    expect(await startedSteps(runDir)).toContain('restore');
    expect(after).toContain('no merge asked');
  }, 180_000);

  it('is checked on the live instance too: a merge needs its container; without tables there is nothing to check', async () => {
    const ctx = { runId: 'r1' } as StepContext;
    const p = { tables: ['public.orders'], live: true, instanceGuid: DELETED, container: 'c1' };
    expect(await check.run(ctx, p, {})).toEqual({ merge: true });
    await expect(check.run(ctx, { ...p, container: '' }, {})).rejects.toThrow(
      `the live instance ${DELETED} has no container found to merge public.orders into`,
    );
    expect(await check.run(ctx, { ...p, tables: [], live: false }, {})).toEqual({ merge: false });
  });
});
