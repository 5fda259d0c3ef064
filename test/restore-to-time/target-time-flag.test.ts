/**
 * `rehearse --target-time` (the rehearsal of `recover --target-time`): the bundled incident's recovery,
 * answered as the recovery is, runs restore-to-time into a new service named as the deleted instance.
 * A zoneless moment is refused before any run exists; one outside the archive stops naming the range,
 * and the run resumes as the restore-to-time run it is.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SOURCE_CLI } from '../support/cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rehearse-target-time-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The deleted-instance recovery's answers for the seed incident, as an operator gives them to `recover`. */
const RECOVERY_ANSWERS = `inputs:
  org: acme
  space: important-space-and-all-databases
  serviceName: important-db
  plan: cluster
  apps: [their-app]
confirm:
  confirm-deleted-instance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3
  stop-container: important-db
choose:
  deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3
`;

async function rehearse(name: string, targetTime: string, more: string[] = []) {
  const file = join(dir, `${name}.yaml`);
  const state = join(dir, `${name}-state`);
  await writeFile(file, RECOVERY_ANSWERS);
  const r = await runCli(['rehearse', '--target-time', targetTime, '--yes', '--answers', file, '--state-dir', state, ...more], {
    program: SOURCE_CLI,
  });
  return { ...r, text: r.stdout + r.stderr, state, file };
}

interface Entry {
  type: string;
  runbook?: { name: string };
  name?: string;
  value?: unknown;
}

async function journalOf(state: string): Promise<Entry[]> {
  const [run] = await readdir(join(state, 'runs'));
  return (await readFile(join(state, 'runs', run!, 'journal.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Entry);
}

describe('rehearse --target-time', () => {
  it('runs restore-to-time into a new service of the deleted instance’s name, saying so at the start and in its report', async () => {
    const r = await rehearse('back', '2016-03-17T05:00:00Z');
    // The seed's 9.5 archive cannot be restored here: the run is done with warnings (exit 8).
    expect(r.code, r.text).toBe(8);
    expect(r.text).toContain('--target-time: the instance comes back as it was at 2016-03-17T05:00:00.000Z, not at its last write.');
    expect(r.text).toContain('would replay every WAL to the end, the bad write included');
    expect(r.text).toContain("Check the copy's name is free — the copy's name is free");
    expect(r.text).toContain('Decide where the copy goes — the copy becomes the new service important-db');
    // The copy is made by the load-copy runbook, used in place when it goes into a service.
    expect(r.text).toMatch(/\[14\/25\] Recreate the service as a single-node instance — instanceGuid=/);
    const journal = await journalOf(r.state);
    expect(journal[0]!.runbook!.name).toBe('restore-to-time');
    const inputs = Object.fromEntries(journal.filter((e) => e.type === 'input').map((e) => [e.name, e.value]));
    expect(inputs).toMatchObject({
      instance: 'important-db',
      copyName: ['important-db'],
      targetTime: '2016-03-17T05:00:00Z',
      into: 'service',
      apps: ['their-app'],
      plan: 'cluster',
    });
    // Nothing of the archive swap: the new service is created, never stopped or swapped.
    expect(r.text).not.toContain('Stop the container of the NEW instance');
    const [run] = await readdir(join(r.state, 'runs'));
    const report = await readFile(join(r.state, 'runs', run!, 'report.md'), 'utf8');
    // Nothing was restored, so the report never says the instance is back.
    expect(report).toContain('- The new service important-db was created EMPTY, as nothing was restored: the deleted instance is NOT back');
    expect(report).not.toContain('is back under its own name');
  });

  it('refuses a moment without a zone before any run exists (exit 2)', async () => {
    const r = await rehearse('zoneless', '2016-03-17T05:00:00');
    expect(r.code, r.text).toBe(2);
    expect(r.stderr).toContain('--target-time "2016-03-17T05:00:00" has no time zone');
    expect(r.stderr).toContain('ISO 8601 with its zone, e.g. 2016-11-21T14:01:30Z');
    expect(existsSync(join(r.state, 'runs'))).toBe(false);
  });

  it('is refused by recover too, before any run exists, and shown in its help', async () => {
    const state = join(dir, 'recover-state');
    const r = await runCli(['recover', '--target-time', '14:01', '--yes', '--state-dir', state], { program: SOURCE_CLI });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('--target-time "14:01" is not an ISO 8601 date and time');
    expect(existsSync(join(state, 'runs'))).toBe(false);
    const other = await runCli(['recover', '--target-time', '2016-03-17T05:00:00Z', '--runbook', 'restore-to-time', '--state-dir', state], {
      program: SOURCE_CLI,
    });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('not runbook restore-to-time');
    const help = await runCli(['recover', '--help'], { program: SOURCE_CLI });
    expect(help.stdout).toContain('--target-time');
    expect(help.stdout).toContain('recover --answers answers.yaml --logs /var/log/remote --target-time 2016-11-21T14:01:59Z');
  });

  it('refuses another runbook (exit 2)', async () => {
    const r = await rehearse('other', '2016-03-17T05:00:00Z', ['--runbook', 'recover-docker-volume']);
    expect(r.code, r.text).toBe(2);
    expect(r.stderr).toContain(
      '--target-time is for the recovery of a deleted instance (recover-deleted-service), not runbook recover-docker-volume',
    );
    expect(existsSync(join(r.state, 'runs'))).toBe(false);
  });

  it('stops on a moment outside the archive naming its range, and resumes as restore-to-time with another', async () => {
    const r = await rehearse('outside', '2016-03-16T22:00:00Z');
    expect(r.code, r.text).toBe(3);
    expect(r.text).toContain('give a moment between 2016-03-17T02:11:52.999Z and 2016-03-17T06:01:30.999Z');
    const runId = /starts run (\S+):/.exec(r.text)![1]!;
    // The recovery's answers file, given another moment as restore-to-time reads one.
    await writeFile(r.file, `${RECOVERY_ANSWERS}  moment: "2016-03-17T05:00:00Z"\n`);
    const resumed = await runCli(['resume', runId, '--yes', '--answers', r.file, '--state-dir', r.state], { program: SOURCE_CLI });
    const text = resumed.stdout + resumed.stderr;
    expect(resumed.code, text).toBe(8);
    expect(text).toContain(`resumes run ${runId}: Bring a Dingo PostgreSQL database back as it was at a moment`);
    expect(text).toContain('Restore the database as it was at the moment — done, with a warning: not restored');
    expect(text).toContain('Decide where the copy goes — the copy becomes the new service important-db');
    expect(text).toContain(`run ${runId} is done with warnings`);
  });
});
