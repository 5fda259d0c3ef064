/**
 * restore-to-time in a rehearsal: the seed incident's deleted instance, whose simulated archive is
 * PostgreSQL 9.5. A moment out of the archive's reach stops the run naming the range; the resume
 * with another moment walks the rest of the runbook, saying why nothing was restored here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SOURCE_CLI } from '../support/cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rehearse-restore-to-time-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const answers = (moment?: string) => `inputs:
  org: acme
  space: important-space-and-all-databases
  instance: important-db
  targetTime: "2016-03-16T22:00:00Z"
choose:
  deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3
${moment ? `  moment: "${moment}"\n` : ''}`;

describe('rehearse --runbook restore-to-time', () => {
  it('stops on a moment before the archive, and resumed with another walks the runbook to its report', async () => {
    const file = join(dir, 'answers.yaml');
    const state = join(dir, 'state');
    await writeFile(file, answers());
    const first = await runCli(['rehearse', '--runbook', 'restore-to-time', '--yes', '--answers', file, '--state-dir', state], {
      program: SOURCE_CLI,
    });
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const out = first.stdout + first.stderr;
    expect(out).toContain('the moment 2016-03-16T22:00:00.000Z is before any base backup ended');
    expect(out).toContain('give a moment between 2016-03-17T02:11:52.999Z and 2016-03-17T06:01:30.999Z');
    const runId = /starts run (\S+):/.exec(out)![1]!;
    await writeFile(file, answers('2016-03-17T05:00:00Z'));
    const resumed = await runCli(['resume', runId, '--yes', '--answers', file, '--state-dir', state], { program: SOURCE_CLI });
    const text = resumed.stdout + resumed.stderr;
    expect(resumed.code, text).toBe(0);
    expect(text).toMatch(/Restore the database as it was at the moment — not restored: the archive was written by PostgreSQL 9\.5/);
    expect(text).toContain('Dump the chosen databases — nothing to dump: the copy was not restored here');
    expect(text).toContain(`run ${runId} is done`);
  });
});
