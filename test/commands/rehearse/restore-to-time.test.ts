/**
 * restore-to-time in a rehearsal: the seed incident's deleted instance, whose simulated archive is
 * PostgreSQL 9.5. A moment out of the archive's reach stops the run naming the range; the resume
 * with another moment walks the rest of the runbook, saying why nothing was restored here. The
 * same incident with important-db still alive finds it through cf and its container, and only reads.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { LIVE_GUID, LIVE_NODE, liveInstanceScenario } from '../../support/live-instance-scenario.js';

let dir: string;
/** The exit code of a run done with warnings: the seed's 9.5 archive cannot be restored here, so nothing is. */
const DONE_WITH_WARNINGS = 8;

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
    const first = await runCli(['rehearse', '--runbook', 'restore-to-time', '--yes', '--answers', file, '--state-dir', state], {});
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const out = first.stdout + first.stderr;
    expect(out).toContain('the moment 2016-03-16T22:00:00.000Z is before any base backup ended');
    expect(out).toContain('another moment between 2016-03-17T02:11:52.999Z and 2016-03-17T06:01:30.999Z is needed');
    expect(out.replace(/\s+/g, ' ')).toContain(`add choose.moment: 2016-03-17T06:01:30.999Z to ${file}, then continue with`);
    const runId = /starts run (\S+):/.exec(out)![1]!;
    await writeFile(file, answers('2016-03-17T05:00:00Z'));
    const resumed = await runCli(['resume', runId, '--yes', '--answers', file, '--state-dir', state]);
    const text = resumed.stdout + resumed.stderr;
    expect(resumed.code, text).toBe(DONE_WITH_WARNINGS);
    // Nothing could be restored here: those steps warn, and the run is done with warnings.
    expect(text).toMatch(
      /Restore the database as it was at the target — done, with a warning: not restored in this rehearsal: the archive was written by PostgreSQL 9\.5/,
    );
    expect(text).toContain('Dump the chosen databases — done, with a warning: nothing dumped: the copy was not restored here');
    expect(text).toContain(`run ${runId} is done with warnings`);
    // The runs table names the instance restored (restore-to-time's input is `instance`, not serviceName).
    const runs = await runCli(['runs', '--json', '--state-dir', state]);
    expect((JSON.parse(runs.stdout) as { runs: { runId: string; service: string }[] }).runs.find((r) => r.runId === runId)?.service).toBe(
      'important-db',
    );
  });
});

const GUID = LIVE_GUID;
const NODE = LIVE_NODE;

interface Entry {
  type: string;
  step?: string;
  system?: string;
  argv?: string[];
  writes?: boolean;
}

/** restore-to-time rehearsed on the live-instance scenario to 05:00, with `extra` answers lines; its output, journal and run folder. */
async function rehearseLive(
  name: string,
  extra = '',
  env: Record<string, string> = {},
): Promise<{ text: string; code: number | null; signal?: string; journal: Entry[]; runDir: string; resume: string[] }> {
  const scenario = await liveInstanceScenario(dir);
  const file = join(dir, `${name}-answers.yaml`);
  const state = join(dir, `${name}-state`);
  await writeFile(
    file,
    answers()
      .replace('2016-03-16T22:00:00Z', '2016-03-17T05:00:00Z')
      .replace(/choose:\n.*\n/, '')
      .replace('  targetTime:', `${extra}  targetTime:`),
  );
  const r = await runCli(
    ['rehearse', '--scenario', scenario, '--runbook', 'restore-to-time', '--yes', '--answers', file, '--state-dir', state],
    { env },
  );
  const [run] = await readdir(join(state, 'runs'));
  const runDir = join(state, 'runs', run!);
  const journal = (await readFile(join(runDir, 'journal.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Entry);
  const resume = ['resume', run!, '--yes', '--answers', file, '--state-dir', state];
  return { text: r.stdout + r.stderr, code: r.code, ...(r.signal ? { signal: r.signal } : {}), journal, runDir, resume };
}

describe('rehearse --runbook restore-to-time on a live instance', () => {
  it("finds it through cf and its container's environment, and reads only", async () => {
    const { text, code, journal } = await rehearseLive('live');
    expect(code, text).toBe(DONE_WITH_WARNINGS);
    expect(text).toContain(`Find the instance and its archive — live: ${GUID}, archive s3://our-postgresql-backups/backups/${GUID}/wal/`);
    expect(text).toContain(`name: important-db: cf service important-db --guid answers ${GUID}`);
    expect(text).toContain(`(from the environment of cf-${NODE})`);
    // The container's environment holds the tenant's S3 and database secrets: none reaches the screen or the journal.
    for (const secret of ['DINGOSECRET', 'superuser-pw']) {
      expect(text).not.toContain(secret);
      expect(JSON.stringify(journal)).not.toContain(secret);
    }
    const commands = journal.filter((e) => e.type === 'command');
    expect(commands.map((c) => c.argv!.slice(0, 2).join(' '))).toContain('cf service');
    // Nothing on the platform was changed: every command only read, and the only one on the cell is docker inspect.
    expect(commands.filter((c) => c.writes)).toEqual([]);
    for (const c of commands.filter((c) => c.system === 'cell')) expect(c.argv).toContain('inspect');
  });
});

describe('rehearse --runbook restore-to-time into a new service', () => {
  it('creates the copy as a solo service beside the live instance, grows it to the plan and reports it, never touching the live one', async () => {
    const { text, code, journal, runDir } = await rehearseLive('service', '  into: service\n');
    expect(code, text).toBe(DONE_WITH_WARNINGS);
    const copy = 'important-db-at-20160317T0500';
    expect(text).toContain(`Decide where the copy goes — the copy becomes the new service ${copy}`);
    // load-copy's steps, used because the copy is asked for as a service, run as the runbook's own.
    expect(text).toContain('[17/28] Recreate the service as a single-node instance — instanceGuid=');
    expect(text).toContain('[22/28] Load the dumps into the new service — done, with a warning: nothing loaded');
    expect(text).toContain("[26/28] Grow the instance to the user's plan — nodes=2 updated=true");
    const writes = journal.filter((e) => e.type === 'command' && e.writes);
    // What was changed is the copy alone: created and grown under its own name; nothing on the live instance's container.
    expect(writes.filter((c) => c.system === 'cf').map((c) => c.argv!.slice(0, 2).join(' '))).toEqual([
      'cf create-service',
      'cf update-service',
    ]);
    for (const c of writes) {
      expect(c.argv).not.toContain('important-db');
      expect(c.argv!.join(' ')).not.toContain(`cf-${NODE}`);
    }
    expect(writes.filter((c) => c.system === 'cf').every((c) => c.argv!.includes(copy))).toBe(true);
    const report = await readFile(join(runDir, 'report.md'), 'utf8');
    // A copy beside a live instance: not a space's recovery; nothing was moved aside, nothing of the instance lost.
    expect(report.startsWith('# restore-to-time (REHEARSAL)\n')).toBe(true);
    expect(report).toContain(`- The new service ${copy} was created EMPTY, as nothing was restored\n`);
    expect(report).not.toContain('loaded into its leader');
    const left = report.slice(report.indexOf('## What is left'));
    expect(left).toContain('- Restore the database as it was at the target could not do all its work: not restored in this rehearsal');
    expect(left).toMatch(
      /- restore the archive as it was at \S+ where its PostgreSQL major runs \(dingo-recover drill s3:\/\/\S+ --target-time \S+ --scenario \S+\), dump it, and load the dumps into important-db-at-20160317T0500\n$/,
    );
    expect(report).not.toContain('quarantined archive');
  });
});

describe('restore-to-time into a new service, killed once the service is created', () => {
  it('resumes without creating it twice', async () => {
    const killed = await rehearseLive('killed', '  into: service\n', {
      DINGO_RECOVER_FAILPOINTS: 'step:create-service',
    });
    expect(killed.signal, killed.text).toBe('SIGKILL');
    const creates = (journal: Entry[]) =>
      journal.filter((e) => e.type === 'command' && e.argv?.slice(0, 2).join(' ') === 'cf create-service');
    expect(creates(killed.journal)).toHaveLength(1);
    const resumed = await runCli(killed.resume);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_WITH_WARNINGS);
    const journal = (await readFile(join(killed.runDir, 'journal.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    expect(creates(journal)).toHaveLength(1);
    expect(resumed.stdout + resumed.stderr).toContain(`[27/28] Check the new nodes stream the restored database`);
    expect(journal.some((e) => e.type === 'step.finished' && e.step === 'verify-replicas')).toBe(true);
  });
});

describe('restore-to-time into a new service whose name is taken', () => {
  it('stops at the early check, before the restore, naming the name', async () => {
    // The copy named as the live instance itself: cf knows important-db in the space.
    const { text, code, journal } = await rehearseLive('taken', '  into: service\n  copyName: important-db\n');
    expect(code, text).toBe(1);
    expect(text).toContain(
      `stopped: the copy cannot be created as "important-db": a service instance of that name already exists in the space (GUID ${GUID})`,
    );
    expect(text).toMatch(/give the copy\s+another name/);
    const started = journal.filter((e) => e.type === 'step.started').map((e) => e.step);
    expect(started).toContain('check-copy-name');
    expect(started).not.toContain('inspect-archive');
    expect(started).not.toContain('restore');
  });

  it('is no check at all when the copy is handed over as dump files', async () => {
    const { text, code } = await rehearseLive('taken-dumps', '  copyName: important-db\n');
    expect(code, text).toBe(DONE_WITH_WARNINGS);
    expect(text).toContain("Check the copy's name is free — nothing to check: the copy is handed over as dump files");
  });
});
