/**
 * Recovering a whole deleted space, in rehearsal (fixtures/space-scenario): the space comes back
 * under its name, each archived Dingo instance is recreated in it from its OWN archive and grown
 * to its plan, the never-archived one is reported as unrecoverable, the other offering's instance
 * is left alone; one report covers them all. Killed in the middle of the second instance, a resume
 * finishes the run without repeating a destructive action.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runIdOf } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { parse, stringify } from 'yaml';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import { readJournal } from '../../../src/engine/journal/index.js';

const SCENARIO = resolve(import.meta.dirname, '../../../fixtures/space-scenario');
const BUCKET = 'our-postgresql-backups';
const OLD_SPACE = '6681471e-1476-464a-8e31-6f44c96a8f29';
const OLD = {
  'orders-db': '4748ee69-26e8-444a-a2e3-35c1fcf5aec0',
  'reports-db': '88bdc151-2a79-43f3-bb6a-1710aa10bb68',
} as const;
const SCRATCH = '0d5b038b-1b71-4995-b868-e422c92301c2';

const tempDir = tempDirs('dr-space-');

function worldOf(state: string, runId: string, scenarioDir = SCENARIO): WorldState {
  return World.load(join(state, 'runs', runId), loadScenario(scenarioDir));
}

/** A copy of the space scenario, its world's cf and its answers changed by the callbacks. */
function variant(cf: (w: Record<string, unknown>) => void, answers: (a: Record<string, Record<string, unknown>>) => void): string {
  const dir = join(tempDir(), 'scenario');
  cpSync(SCENARIO, dir, { recursive: true });
  const doc = parse(readFileSync(join(dir, 'scenario.yaml'), 'utf8')) as { world: { cf: Record<string, unknown> } };
  cf(doc.world.cf);
  writeFileSync(join(dir, 'scenario.yaml'), stringify(doc));
  const a = parse(readFileSync(join(dir, 'answers.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  answers(a);
  writeFileSync(join(dir, 'answers.yaml'), stringify(a));
  return dir;
}

function body(w: WorldState, key: string): string | undefined {
  return w.s3[BUCKET]?.[key]?.body;
}

/** The keys under a prefix of the scenario's bucket. */
function keysUnder(w: WorldState, prefix: string): string[] {
  return Object.keys(w.s3[BUCKET] ?? {}).filter((k) => k.startsWith(prefix));
}

/** What a finished space recovery leaves: checked on the world the rehearsal saved. */
function assertSpaceRecovered(w: WorldState): void {
  const org = w.cf.orgs.find((o) => o.name === 'acme')!;
  const space = org.spaces.find((s) => s.name === 'analytics');
  expect(space, 'the space is recreated under its name').toBeDefined();
  expect(space!.guid).not.toBe(OLD_SPACE);

  const recreated = w.cf.instances.filter((i) => i.spaceGuid === space!.guid);
  expect(recreated.map((i) => i.name).sort()).toEqual(['orders-db', 'reports-db']);
  for (const [name, oldGuid] of Object.entries(OLD)) {
    const instance = recreated.find((i) => i.name === name)!;
    const prefix = `backups/${instance.guid}/wal/`;
    // Its own archive, and only it: the sysid, base backups and WAL of the deleted instance.
    expect(body(w, `${prefix}sysids/sysid`), name).toBe(body(w, `backups/${oldGuid}/wal/sysids/sysid`));
    const copied = keysUnder(w, prefix).map((k) => k.slice(prefix.length));
    const original = keysUnder(w, `backups/${oldGuid}/wal/`).map((k) => k.slice(`backups/${oldGuid}/wal/`.length));
    expect(copied.sort(), name).toEqual(original.sort());
    // The new instance's own first archive was moved aside, once, never deleted.
    const quarantines = new Set(keysUnder(w, `backups/${instance.guid}/wal.quarantine-`).map((k) => k.split('/').slice(0, 3).join('/')));
    expect(quarantines.size, name).toBe(1);
  }
  // Created with one node each (this 2017 broker makes two without node-count), then grown to its
  // plan: orders-db was a two-node cluster; reports-db was solo.
  expect(recreated.find((i) => i.name === 'orders-db')!.parameters).toEqual({ 'node-count': 2 });
  expect(recreated.find((i) => i.name === 'reports-db')!.parameters).toEqual({ 'node-count': 1 });
  // Nothing was made of the unarchived instance or of the other offering's.
  expect(w.cf.instances.some((i) => i.name === 'scratch-db' || i.name === 'cache')).toBe(false);
  expect(keysUnder(w, `backups/${SCRATCH}/`)).toEqual([]);
}

/** Every secret of the scenario's world, so none of them may appear in the run folder. */
function assertNoSecrets(runDir: string): void {
  const scenario = readFileSync(join(SCENARIO, 'scenario.yaml'), 'utf8');
  const secrets = new Set<string>();
  for (const m of scenario.matchAll(/(?:AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|_PASSWORD)=([^\s"',\]]+)/g)) secrets.add(m[1]!);
  expect(secrets.size).toBeGreaterThan(2);
  for (const file of readdirSync(runDir)) {
    const text = readFileSync(join(runDir, file), 'utf8');
    for (const s of secrets) expect(text.includes(s), `${file} holds ${s.slice(0, 4)}…`).toBe(false);
  }
}

describe('recovering a deleted space (rehearsal)', () => {
  it('brings back every archived instance in the recreated space, reports the rest, and writes one report', async () => {
    const state = tempDir();
    const run = await runCli(['rehearse', '--yes', '--scenario', SCENARIO, '--state-dir', state]);
    const out = run.stdout + run.stderr;
    expect(run.code, out).toBe(0);
    const runId = runIdOf(run.stdout);
    assertSpaceRecovered(worldOf(state, runId));

    // The plan was shown before anything changed: all three Dingo instances and the one left alone.
    expect(out).toMatch(/scratch-db[^\n]*NOT recoverable[^\n]*no archive/);
    expect(out).toMatch(/cache[^\n]*p-redis[^\n]*left alone/);
    expect(out.indexOf('scratch-db')).toBeLessThan(out.indexOf('Recreate the space'));

    const runDir = join(state, 'runs', runId);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    for (const name of ['orders-db', 'reports-db', 'scratch-db']) expect(report).toContain(name);
    expect(report).toMatch(/scratch-db[\s\S]*no archive/);
    // The apps the space delete removed, by the names the audit events give, with the commands to run.
    expect(report).toContain(
      '- App worker (525189b5-10c3-4a92-9971-a11e3a6dcb00) no longer exists (the space delete removed it): re-push it, then bind it: cf push worker --no-start; cf bind-service worker orders-db; cf start worker',
    );
    expect(run.stdout.replace(/\n +/g, ' ')).toContain(
      '- reports-db: re-push web (24a2631e-ce4d-4a06-9167-1cfef9e2b2c4) (the space delete removed them), then cf push web --no-start; cf bind-service web reports-db; cf start web',
    );
    expect(report).toMatch(/quarantine/);
    // The users' roles the delete took, from the space's role events (pat's auditor role was taken away before), to give back.
    expect(report).toContain(
      '- The delete took them; to give back: cf set-space-role dana acme analytics SpaceDeveloper; cf set-space-role dana acme analytics SpaceManager; cf set-space-role ravi acme analytics SpaceDeveloper',
    );
    expect(report).not.toMatch(/set-space-role pat /);
    expect(run.stdout.replace(/\n +/g, ' ')).toContain('cf create-space made you SpaceManager and SpaceDeveloper of analytics');
    // A space's recovery, each instance swapped into a new one: what it kept aside is left to remove, item by item, with the commands.
    expect(report).toMatch(/^# Recovery of /);
    for (const name of ['orders-db', 'reports-db']) {
      expect(report).toMatch(
        new RegExp(
          `^- \\[${name}\\] once the user is satisfied, remove the quarantined archive: aws s3 rm --recursive s3://our-postgresql-backups/backups/\\S+/wal\\.quarantine-\\d{8}T\\d{6}Z/$`,
          'm',
        ),
      );
      expect(report).toMatch(
        new RegExp(
          `^- \\[${name}\\] once the user is satisfied, remove the moved-aside data: on \\S+ \\(.*\\), sudo rm -rf -- /var/vcap/store/`,
          'm',
        ),
      );
    }
    assertNoSecrets(runDir);
  });

  it('killed in the middle of the second instance, resumes without repeating a destructive step', async () => {
    const state = tempDir();
    const killed = await runCli(['rehearse', '--yes', '--scenario', SCENARIO, '--state-dir', state], {
      env: { DINGO_RECOVER_FAILPOINTS: 'step:recover-instances/reports-db/quarantine-new-archive' },
    });
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const runId = runIdOf(killed.stdout);
    const runDir = join(state, 'runs', runId);
    // Killed between two destructive steps of reports-db: its archive moved aside, the old one not yet copied in.
    const before = readJournal(join(runDir, 'journal.ndjson'));
    const finished = (step: string) => before.some((e) => e.type === 'step.finished' && e.step === step);
    expect(finished('recover-instances/reports-db/quarantine-new-archive')).toBe(true);
    expect(before.some((e) => e.type === 'step.started' && e.step === 'recover-instances/reports-db/copy-old-archive')).toBe(false);
    expect(before.some((e) => e.type === 'run.finished')).toBe(false);

    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const w = worldOf(state, runId);
    assertSpaceRecovered(w);

    // Each destructive command ran once per instance, across the crash and the resume.
    const commands = readJournal(join(runDir, 'journal.ndjson')).filter((e) => e.type === 'command' && e.writes);
    const count = (step: string) => commands.filter((e) => e.type === 'command' && e.step === step).length;
    for (const name of Object.keys(OLD)) {
      expect(count(`recover-instances/${name}/stop-container`), name).toBe(1);
      expect(count(`recover-instances/${name}/create-service`), name).toBe(1);
    }
    expect(w.cf.instances.filter((i) => i.name === 'reports-db')).toHaveLength(1);
    assertNoSecrets(runDir);
  });

  it('goes on with the other instances when one fails, and a resume finishes only that one', async () => {
    // The broker refuses the first cluster update: orders-db's growth (reports-db is solo and never updates).
    const dir = variant(
      (cf) => (cf.failNextUpdate = 'no cell has room for another node'),
      () => undefined,
    );
    const state = tempDir();
    const first = await runCli(['rehearse', '--yes', '--scenario', dir, '--state-dir', state]);
    const out = first.stdout + first.stderr;
    expect(first.code, out).toBe(1);
    expect(out).toMatch(/orders-db/);
    expect(out).toMatch(/no cell has room for another node/);
    const runId = runIdOf(first.stdout);
    const journal = readJournal(join(state, 'runs', runId, 'journal.ndjson'));
    const finished = (step: string) => journal.some((e) => e.type === 'step.finished' && e.step === step);
    // reports-db went on to its end; orders-db stopped at the refused growth, restored and serving.
    expect(finished('recover-instances/reports-db/size-for-plan')).toBe(true);
    expect(finished('recover-instances/orders-db/restart-apps')).toBe(true);
    expect(journal.some((e) => e.type === 'step.failed' && e.step === 'recover-instances/orders-db/grow-service')).toBe(true);
    expect(finished('report')).toBe(false);

    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    assertSpaceRecovered(worldOf(state, runId, dir));
    // Only orders-db's growth ran again; reports-db's steps were not repeated.
    const after = readJournal(join(state, 'runs', runId, 'journal.ndjson')).slice(journal.length);
    expect(after.some((e) => e.type === 'step.started' && e.step.startsWith('recover-instances/reports-db/'))).toBe(false);
    expect(after.some((e) => e.type === 'step.started' && e.step === 'recover-instances/orders-db/grow-service')).toBe(true);
  });

  it('leaves out the instances the operator names, and refuses a name the space never held', async () => {
    const state = tempDir();
    const dir = variant(
      () => undefined,
      (a) => (a.inputs!.leaveOut = ['reports-db']),
    );
    const run = await runCli(['rehearse', '--yes', '--scenario', dir, '--state-dir', state]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const w = worldOf(state, runIdOf(run.stdout), dir);
    const space = w.cf.orgs.find((o) => o.name === 'acme')!.spaces.find((sp) => sp.name === 'analytics')!;
    expect(w.cf.instances.filter((i) => i.spaceGuid === space.guid).map((i) => i.name)).toEqual(['orders-db']);

    const wrong = variant(
      () => undefined,
      (a) => (a.inputs!.leaveOut = ['reprots-db']),
    );
    const refused = await runCli(['rehearse', '--yes', '--scenario', wrong, '--state-dir', tempDir()]);
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toMatch(/reprots-db[\s\S]*orders-db[\s\S]*reports-db/);
  });

  it('with --wal-bucket naming another bucket, refuses every archive found elsewhere before the space is recreated', async () => {
    const state = tempDir();
    // The platform (as --wal-bucket says) keeps its archives in a bucket the logs never name.
    const dir = join(tempDir(), 'scenario');
    cpSync(SCENARIO, dir, { recursive: true });
    const doc = parse(readFileSync(join(dir, 'scenario.yaml'), 'utf8')) as { world: { s3: Record<string, unknown> } };
    doc.world.s3['our-postgresql-backups-x'] = {};
    writeFileSync(join(dir, 'scenario.yaml'), stringify(doc));
    const run = await runCli(['rehearse', '--yes', '--scenario', dir, '--wal-bucket', 'our-postgresql-backups-x', '--state-dir', state]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const found = readJournal(join(state, 'runs', runIdOf(run.stdout), 'journal.ndjson')).find(
      (e) => e.type === 'step.failed' && e.step === 'find-instances',
    );
    expect(found?.type === 'step.failed' && found.error).toContain(
      `the archive the logs name, s3://${BUCKET}/backups/${OLD['orders-db']}/wal/, is refused: it is in bucket ${BUCKET}, not the platform's WAL bucket our-postgresql-backups-x (--wal-bucket); Dingo archives it at s3://our-postgresql-backups-x/backups/${OLD['orders-db']}/wal/`,
    );
    expect(run.stdout).not.toContain('$ cf create-space');
  });

  it('finds and recovers the space as well through a v3-only Cloud Controller and cf CLI 8', async () => {
    const dir = variant(
      (cf) => {
        cf.version = '8.9.1+6c6aa0f.2024-11-05';
        cf.api = { ...(cf.api as Record<string, unknown>), v2: false, v3: true };
      },
      () => undefined,
    );
    const state = tempDir();
    const run = await runCli(['rehearse', '--yes', '--scenario', dir, '--state-dir', state]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const runId = runIdOf(run.stdout);
    assertSpaceRecovered(worldOf(state, runId, dir));
    const curls = readJournal(join(state, 'runs', runId, 'journal.ndjson')).flatMap((e) =>
      e.type === 'command' && e.step === 'find-instances' ? [e.argv.join(' ')] : [],
    );
    expect(curls.some((c) => c.includes('/v3/audit_events'))).toBe(true);
    expect(curls.some((c) => c.includes('/v2/events'))).toBe(false);
  });
});
