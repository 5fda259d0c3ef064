/**
 * `rehearse --target-time` and the other targets (the rehearsal of `recover --target-time`): the bundled
 * incident's recovery, answered as the recovery is, runs recover-to-target, which finds and confirms the
 * deleted instance as the recovery does and restores it into a new service named as it. A zoneless
 * moment, several targets or a malformed one are refused before any run exists; a moment outside the
 * archive stops naming the range, and the run resumes as the recover-to-target run it is. A run an
 * earlier version started through an answers mapping is refused by resume, saying what to do.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

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
choose:
  deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3
`;

async function rehearse(name: string, targetTime: string | undefined, more: string[] = []) {
  const file = join(dir, `${name}.yaml`);
  const state = join(dir, `${name}-state`);
  await writeFile(file, RECOVERY_ANSWERS);
  const target = targetTime === undefined ? [] : ['--target-time', targetTime];
  const r = await runCli(['rehearse', ...target, '--yes', '--answers', file, '--state-dir', state, ...more], {});
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
  it('runs recover-to-target into a new service of the deleted instance’s name, saying so at the start and in its report', async () => {
    const r = await rehearse('back', '2016-03-17T05:00:00Z');
    // The seed's 9.5 archive cannot be restored here: the run is done with warnings (exit 8).
    expect(r.code, r.text).toBe(8);
    expect(r.text).toContain('starts run');
    expect(r.text).toContain("Bring a user's deleted Dingo PostgreSQL service back as it was before a bad write");
    expect(r.text).toContain(
      "Read the target and the copy's name — the database as it was at 2016-03-17T05:00:00.000Z; the copy is important-db",
    );
    // The recovery's own steps find and confirm the deleted instance, answered from its answers file.
    expect(r.text).toContain('Confirm which deleted instance comes back — instanceGuid=6e101b27-ee1b-4f4d-a032-4401a3709ec3');
    expect(r.text).toContain("Check the copy's name is free — the copy's name is free");
    expect(r.text).toContain('Decide where the copy goes — the copy becomes the new service important-db');
    // The copy is made by the load-copy runbook, used in place when it goes into a service.
    expect(r.text).toMatch(/\[17\/28\] Recreate the service as a single-node instance — instanceGuid=/);
    const journal = await journalOf(r.state);
    expect(journal[0]!.runbook!.name).toBe('recover-to-target');
    const inputs = Object.fromEntries(journal.filter((e) => e.type === 'input').map((e) => [e.name, e.value]));
    expect(inputs).toMatchObject({
      serviceName: 'important-db',
      targetTime: '2016-03-17T05:00:00Z',
      targetXid: '',
      targetExclusive: false,
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
    const r = await runCli(['recover', '--target-time', '14:01', '--yes', '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('--target-time "14:01" is not an ISO 8601 date and time');
    expect(existsSync(join(state, 'runs'))).toBe(false);
    const other = await runCli(
      ['recover', '--target-time', '2016-03-17T05:00:00Z', '--runbook', 'restore-to-time', '--state-dir', state],
      {},
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('not runbook restore-to-time');
    const help = await runCli(['recover', '--help']);
    for (const flag of [
      '--target-time',
      '--target-xid',
      '--target-lsn',
      '--target-name',
      '--target-immediate',
      '--target-exclusive',
      '--target-timeline',
    ])
      expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain('recover --answers answers.yaml --logs /var/log/remote --target-time 2016-11-21T14:01:59Z');
  });

  it('refuses another runbook (exit 2)', async () => {
    const r = await rehearse('other', '2016-03-17T05:00:00Z', ['--runbook', 'recover-docker-volume']);
    expect(r.code, r.text).toBe(2);
    expect(r.stderr).toContain(
      'a target (--target-time and the like) is for the recovery of a deleted instance (recover-deleted-service), not runbook recover-docker-volume',
    );
    expect(existsSync(join(r.state, 'runs'))).toBe(false);
  });

  it('stops on a moment outside the archive naming its range, and resumes as recover-to-target with another', async () => {
    const r = await rehearse('outside', '2016-03-16T22:00:00Z');
    expect(r.code, r.text).toBe(3);
    expect(r.text).toContain('another moment between 2016-03-17T02:11:52.999Z and 2016-03-17T06:01:30.999Z is needed');
    const runId = /starts run (\S+):/.exec(r.text)![1]!;
    // The recovery's answers file, given another moment as restore-to-time's restore reads one.
    await writeFile(r.file, `${RECOVERY_ANSWERS}  moment: "2016-03-17T05:00:00Z"\n`);
    const resumed = await runCli(['resume', runId, '--yes', '--answers', r.file, '--state-dir', r.state]);
    const text = resumed.stdout + resumed.stderr;
    expect(resumed.code, text).toBe(8);
    expect(text).toContain(`resumes run ${runId}: Bring a user's deleted Dingo PostgreSQL service back as it was before a bad write`);
    expect(text).toContain('Restore the database as it was at the target — done, with a warning: not restored');
    expect(text).toContain('Decide where the copy goes — the copy becomes the new service important-db');
    expect(text).toContain(`run ${runId} is done with warnings`);
  });

  it('takes a transaction to stop just before (--target-xid --target-exclusive), journaled and named so in the report', async () => {
    const r = await rehearse('xid', undefined, ['--target-xid', '1843', '--target-exclusive']);
    expect(r.code, r.text).toBe(8);
    expect(r.text).toContain(
      "Read the target and the copy's name — the database as it was just before transaction 1843; the copy is important-db",
    );
    const journal = await journalOf(r.state);
    expect(journal[0]!.runbook!.name).toBe('recover-to-target');
    const inputs = Object.fromEntries(journal.filter((e) => e.type === 'input').map((e) => [e.name, e.value]));
    expect(inputs).toMatchObject({ targetTime: '', targetXid: '1843', targetExclusive: true, targetTimeline: '' });
    const [run] = await readdir(join(r.state, 'runs'));
    const report = await readFile(join(r.state, 'runs', run!, 'report.md'), 'utf8');
    // Not restored here (a 9.5 archive): what is left names the drill to the same target.
    expect(report).toMatch(
      /restore the archive as it was just before transaction 1843 where its PostgreSQL major runs \(dingo-recover drill s3:\/\/\S+ --target-xid 1843 --target-exclusive --scenario \S+\)/,
    );
    expect(report).not.toContain('as it was at 20');
  });

  it('refuses several targets, a malformed one and --target-exclusive alone before any run exists (exit 2), as the drill does', async () => {
    const cases: [string[], string][] = [
      [
        ['--target-time', '2016-03-17T05:00:00Z', '--target-xid', '1843'],
        '--target-time and --target-xid are several places to stop: give one of them',
      ],
      [['--target-xid', 'x1843'], '--target-xid "x1843" is not a transaction id'],
      [['--target-lsn', '3000060'], '--target-lsn "3000060" is not a WAL location'],
      [['--target-exclusive'], '--target-exclusive needs a target to stop at'],
      [['--target-immediate', '--target-exclusive'], 'not to the end of the base backup (immediate)'],
      [['--target-name', 'x', '--target-timeline', 'newest'], '--target-timeline "newest" is not a timeline'],
    ];
    for (const [flags, message] of cases) {
      const r = await rehearse('bad-flags', undefined, flags);
      expect(r.code, r.text).toBe(2);
      expect(r.stderr).toContain(message);
      expect(existsSync(join(r.state, 'runs'))).toBe(false);
    }
    const hint = await rehearse('bad-flags', undefined, ['--target-exclusive']);
    expect(hint.stderr).toContain('--target-immediate');
    expect(hint.stderr).not.toContain('--target immediate');
  });

  it('refuses to resume a run an earlier version started through an answers mapping, saying how to go on', async () => {
    const r = await rehearse('mapped', '2016-03-16T22:00:00Z');
    expect(r.code, r.text).toBe(3);
    const runId = /starts run (\S+):/.exec(r.text)![1]!;
    const file = join(r.state, 'runs', runId, 'journal.ndjson');
    const [first, ...rest] = (await readFile(file, 'utf8')).split('\n');
    const created = JSON.parse(first!) as { options: Record<string, unknown> };
    created.options.answersMapping = {
      inputs: { into: 'service' },
      renamedInputs: { serviceName: 'instance' },
      sameAs: {},
      renamedConfirms: {},
      note: '',
    };
    await writeFile(file, [JSON.stringify(created), ...rest].join('\n'));
    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', r.state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(2);
    expect(resumed.stderr).toContain(
      `run ${runId} was started by recover --target-time of an earlier dingo-recover, which this one cannot resume`,
    );
    expect(resumed.stderr).toContain(`abandon ${runId}`);
    expect(resumed.stderr).toContain('runs recover-to-target');
  });
});
