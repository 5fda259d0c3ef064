import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, DONE_DRILLED_ON_CELL, ROOT, runCli, runIdOf } from '../../support/cli.js';
import { scenarioKernelLacking } from '../../support/kernel-lacks.js';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { EXIT } from '../../../src/core/errors.js';
import { onSmallDisk } from '../../support/small-disk.js';

const OLD = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
const CELL = '10.58.111.150';
const BUCKET = 'our-postgresql-backups';
const SECRETS = [
  'AKIAIOSFODNN7DINGO01',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYDINGOSECRET1',
  'AKIAIOSFODNN7DINGO02',
  'sk9Yc4PqLr2Tz8WbN1vXe6HjDINGOSECRET2',
  'new-app-password-Kd29',
  'new-superuser-password-Vb17',
  'new-admin-password-Rp55',
  'old-admin-password-Xq81',
  'old-superuser-password-Lm42',
  'old-app-password-Tz93',
  'other-tenant-superuser-pw-4471',
];
const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-e2e-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

function world(state: string, runId: string): WorldState {
  return World.load(join(state, 'runs', runId), SCENARIO);
}

function keysUnder(w: WorldState, prefix: string): Record<string, { size: number; etag: string }> {
  const b = w.s3[BUCKET]!;
  return Object.fromEntries(
    Object.keys(b)
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((k) => [k.slice(prefix.length), { size: b[k]!.size, etag: b[k]!.etag }]),
  );
}

/** The final state a recovery must leave, whatever interruptions it went through. */
function assertRecovered(w: WorldState): void {
  const oldArchive = keysUnder(w, `backups/${OLD}/wal/`);
  expect(Object.keys(oldArchive)).toHaveLength(10);
  // The new prefix holds exactly the old archive's keys (and ETags).
  expect(keysUnder(w, `backups/${NEW}/wal/`)).toEqual(oldArchive);
  // The quarantine holds the new instance's original objects, and there is exactly one.
  const quarantines = [
    ...new Set(
      Object.keys(w.s3[BUCKET]!)
        .filter((k) => k.includes('.quarantine-'))
        .map((k) => k.split('/')[2]),
    ),
  ];
  expect(quarantines).toHaveLength(1);
  expect(quarantines[0]).toMatch(/^wal\.quarantine-\d{8}T\d{6}Z$/);
  const q = keysUnder(w, `backups/${NEW}/${quarantines[0]}/`);
  expect(Object.keys(q).sort()).toEqual([
    'basebackups_005/base_000000010000000000000002_00000040/extended_version.txt',
    'basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo',
    'basebackups_005/base_000000010000000000000002_00000040_backup_stop_sentinel.json',
    'sysids/sysid',
    'wal_005/000000010000000000000001.lzo',
    'wal_005/000000010000000000000002.00000028.backup.lzo',
    'wal_005/000000010000000000000002.lzo',
  ]);
  expect(w.s3[BUCKET]![`backups/${NEW}/wal.quarantine-${quarantines[0]!.split('-').pop()}/sysids/sysid`]?.body).toBe(
    '6263019934712345126\n',
  );
  // The container runs, restored from the old archive, promoted, with the new passwords.
  const c = w.cells[CELL]!.containers[CONTAINER]!;
  expect(c.running).toBe(true);
  expect(w.serving[CONTAINER]).toBe('6262209914512345093');
  expect(c.pg.inRecovery).toBe(false);
  expect(c.pg.roles).toEqual({
    'dingo-admin': 'new-admin-password-Rp55',
    pgsuper: 'new-superuser-password-Vb17',
    appuser: 'new-app-password-Kd29',
  });
  // etcd was reset: /initialize set to the OLD system identifier, the copied archive's.
  expect(w.etcd[`/service/${NEW}/initialize`]).toBe('6262209914512345093');
  expect(w.etcd[`/service/${NEW}/optime/leader`]).toBeUndefined();
  // The new container's original data was moved aside, not deleted.
  const aside = Object.keys(w.cells[CELL]!.files).filter((d) =>
    d.startsWith(`/var/vcap/store/cf-containers-broker/${CONTAINER}/data.moved-aside-`),
  );
  expect(aside).toHaveLength(1);
  expect(w.cells[CELL]!.files[aside[0]!]).toEqual(['postgres0', 'wal-e']);
  // The app is bound to the recreated instance and was restarted.
  const app = w.cf.orgs[0]!.spaces[0]!.apps.find((a) => a.name === 'their-app')!;
  expect(app.boundServiceGuids).toEqual([NEW]);
  // The other tenant's container and data were never touched.
  expect(w.cells[CELL]!.containers['cf-e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b']!.running).toBe(true);
  expect(w.etcd['/service/d2c4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e5f/initialize']).toBe('6262210099812345678');
  // No destructive action happened twice.
  const count = (re: RegExp): number => w.history.filter((h) => re.test(h.what)).length;
  expect(count(/stopped cf-52167ceb/)).toBe(1);
  expect(count(new RegExp(`set /service/${NEW}/initialize = 6262209914512345093`))).toBe(1);
  expect(count(new RegExp(`deleted /service/${NEW}/optime/leader`))).toBe(1);
  expect(count(/restores the archive/)).toBe(1);
  expect(count(/created important-db/)).toBe(1);
  // Not grown: the broker's provision record gives the deleted instance one node (the March 2016
  // broker's default, whatever the plan), so the recovered instance has as many.
  expect(c.pg.replicas ?? []).toEqual([]);
  expect(count(/added cf-/)).toBe(0);
  expect(w.cf.instances.find((i) => i.guid === NEW)!.parameters).toEqual({ 'node-count': 1 });
}

function noSecretsIn(dir: string): void {
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const s of SECRETS) expect(text, `${f} leaks a secret`).not.toContain(s);
  }
}

describe('rehearsal of the seed incident', () => {
  let state: string;
  let runId: string;
  let output: string;

  beforeAll(async () => {
    state = stateDir();
    const r = await runCli(['rehearse', '--yes', '--verbose', '--state-dir', state]);
    output = r.stdout + r.stderr;
    expect(r.code, output).toBe(DONE_DRILLED_ON_CELL);
    runId = runIdOf(r.stdout);
  });

  it('names the old and new instance GUIDs and shows the commands a live run would make', () => {
    expect(output).toContain(OLD);
    expect(output).toContain(NEW);
    expect(output).toContain('$ cf marketplace');
    expect(output).toContain(`$ cf create-service dingo-postgresql95 solo important-db -c '{"node-count":1}'`);
    expect(output).toMatch(
      /\$ sudo -n \/var\/vcap\/packages\/docker\/bin\/docker --host unix:\/\/\/var\/vcap\/sys\/run\/docker\/docker\.sock stop .*cf-52167ceb-bd3d-4bff-8699-a239d21c5379/,
    );
    expect(output).toMatch(/CopyObject s3:\/\/our-postgresql-backups\/backups\/6e101b27-ee1b-4f4d-a032-4401a3709ec3\/wal\//);
  });

  it("drills the old archive on the cell, in the new container's image, when its version is not installed here", () => {
    expect(output).toMatch(
      /\[5\/29\] Drill the old archive [^]*?evidence: not drilled here: the archive was written by PostgreSQL 9\.5 but the local binaries .* are PostgreSQL 15[^]*?the drill runs there once the cell is reached, before anything is changed\s+✔ drilled=false/,
    );
    // On the cell, after the preflight and before the container is stopped: nothing is changed yet.
    const drill = output.indexOf('[14/29] Drill the old archive on the cell');
    expect(drill).toBeGreaterThan(output.indexOf('[13/29] Check everything the destructive steps rely on'));
    expect(drill).toBeLessThan(output.indexOf('[15/29] Stop the new container'));
    const onCell = output.slice(drill, output.indexOf('[15/29] Stop the new container'));
    // The image the container runs, read from it; our leftovers looked for first; the hardening on every container.
    expect(onCell).toContain('runs cfcommunity/postgresql-patroni:9.5 (docker inspect)');
    expect(onCell).toMatch(/ps -a --filter label=dingo-recover\.cell-drill/);
    expect(onCell).toMatch(
      /run --rm --label dingo-recover\.cell-drill=\/var\/vcap\/store\/dingo-recover-drill-[0-9a-f]+ --net none --cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs \S+ --memory 1g --cpu-shares 256 --pids-limit 256 --user postgres --entrypoint sh .*cfcommunity\/postgresql-patroni:9\.5/,
    );
    // The scenario's archive holds its bytes: fetched and checked here, streamed as one tar into a container of the image.
    expect(onCell).toContain('… restoring base_000000010000000000000002_00000040 here and fetching its WAL');
    expect(onCell).toMatch(/run -i --name (dingo-recover-drill-[0-9a-f]+)-load --label dingo-recover\.cell-drill=\/var\/vcap\/store\/\1 /);
    // WAL from LATEST's start segment on: 02 and its .backup label, 03, 04, 05.
    expect(onCell).toContain('… replaying 5 WAL file(s) in cfcommunity/postgresql-patroni:9.5 on 10.58.111.150');
    // Recovery ends with a checkpoint in the segment after the last one streamed in (05): the WAL reached the container.
    expect(onCell).toMatch(/Latest checkpoint's REDO location: +0\/6000028/);
    expect(onCell).toMatch(/✔ drilled=true drilledIn=cfcommunity\/postgresql-patroni:9\.5 on 10\.58\.111\.150 replayedTo=0\/6000028 /);
    // The drill's container and its folder are removed once it is done.
    expect(onCell).toMatch(/rm -f -v dingo-recover-drill-[0-9a-f]+ \[cell 10\.58\.111\.150\]/);
    expect(onCell).toMatch(/rm -rf --one-file-system \/var\/vcap\/store\/dingo-recover-drill-[0-9a-f]+ \[cell 10\.58\.111\.150\]/);
    expect(output).not.toContain('not drilled:');
  });

  it('leaves the platform recovered', () => {
    assertRecovered(world(state, runId));
  });

  it('keeps secrets out of the journal, the report and the output', () => {
    noSecretsIn(join(state, 'runs', runId));
    for (const s of SECRETS) expect(output).not.toContain(s);
  });

  it('writes the incident report into the run folder, and show --format markdown rebuilds it', async () => {
    const file = join(state, 'runs', runId, 'report.md');
    expect(output).toMatch(new RegExp(`Report:\\s+${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};`));
    const report = readFileSync(file, 'utf8');
    for (const part of [
      '# Recovery of important-db (REHEARSAL)',
      `- Deleted instance (OLD): ${OLD}; name not proven by any evidence; chosen by the operator (choose.deletedInstance in the answers file)`,
      '- Data-loss window: writes between 2016-03-17T06:01:30Z (newest archived WAL) and 2016-03-17T06:10:17Z (deletion), up to 9 min, were never archived and are lost',
      '- Measured: writes after 06:01:30 (528 s before the delete) are not in the archive (2016-03-17T06:01:30Z: S3 LastModified of wal_005/000000010000000000000005.lzo)',
      `- The new instance's original archive: s3://our-postgresql-backups/backups/${NEW}/wal.quarantine-`,
      `- The new container's original data: /var/vcap/store/cf-containers-broker/${CONTAINER}/data.moved-aside-`,
      '## Decisions and their evidence',
      '| confirm-deleted-instance |',
      '| stop-container |',
      '## Timeline (UTC)',
      '- 1 node(s): the broker recorded 1 for the deleted instance',
    ])
      expect(report).toContain(part);
    expect(report).not.toContain('Grown to');
    const show = await runCli(['show', runId, '--format', 'markdown', '--state-dir', state]);
    expect(show.code).toBe(0);
    expect(show.stdout).toBe(report);
  });

  it('lists the run and shows every step with its status', async () => {
    const runs = await runCli(['runs', '--json', '--state-dir', state]);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout).runs).toEqual([expect.objectContaining({ runId, status: 'done', mode: 'rehearsal' })]);
    const show = await runCli(['show', runId, '--json', '--state-dir', state]);
    expect(show.code).toBe(0);
    const t = JSON.parse(show.stdout) as {
      steps: { id: string; status: string; commands: unknown[]; confirmations: { method: string }[] }[];
    };
    expect(t.steps).toHaveLength(29);
    // All finished, but the growth: the deleted instance ran one node.
    expect(t.steps.filter((s) => s.status !== 'finished').map((s) => [s.id, s.status])).toEqual([
      ['grow-service', 'skipped'],
      ['verify-replicas', 'skipped'],
    ]);
    expect(t.steps.find((s) => s.id === 'stop-container')!.confirmations).toEqual([expect.objectContaining({ method: '--yes' })]);
    expect(t.steps.find((s) => s.id === 'create-service')!.commands.length).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  it('a malformed answers file or runbook exits 2 naming it, and leaves no run behind', async () => {
    const state = stateDir();
    const answers = join(state, 'answers.yaml');
    writeFileSync(answers, 'inputz: {org: acme}\n');
    const a = await runCli(['rehearse', '--answers', answers, '--state-dir', state]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`answers file ${answers}:1: unknown key "inputz"`);
    const runbook = join(state, 'broken.yaml');
    writeFileSync(runbook, 'version: 1\nname: x\ntitle: x\nsteps:\n  - id: a\n    title: x\n    why: y\n    action: nope.nothing\n');
    const b = await runCli(['rehearse', '--runbook', runbook, '--state-dir', state]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${runbook}:8: step "a": unknown action "nope.nothing"`);
    expect(existsSync(join(state, 'runs')) ? readdirSync(join(state, 'runs')) : []).toEqual([]);
  });

  it('a misspelled confirmation or choice, a wrong kind of answer or a yes/no that is neither is refused before a run exists', async () => {
    const state = stateDir();
    const answers = join(state, 'answers.yaml');
    const cases: [string, string][] = [
      [
        'confirm: {stop-contaner: true}\n',
        '1: confirm.stop-contaner is not a step runbook recover-deleted-service confirms (did you mean "stop-container"?)',
      ],
      ['inputs: {nodeCount: [2]}\n', '1: inputs.nodeCount is a list [2], but it must be text matching'],
      [
        'inputs: {sevriceName: orders-db}\n',
        '1: inputs.sevriceName is not an input of runbook recover-deleted-service (did you mean "serviceName"?)',
      ],
      [
        'inputs:\n  serviceName: orders-db\nchoose:\n  deletedInstanec: 6f1b2c3d\n',
        '4: choose.deletedInstanec is not a choice runbook recover-deleted-service asks (did you mean "deletedInstance"?)',
      ],
    ];
    for (const [text, message] of cases) {
      writeFileSync(answers, text);
      const r = await runCli(['rehearse', '--yes', '--answers', answers, '--state-dir', state]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(`answers file ${answers}:${message}`);
    }
    const space = join(state, 'space.yaml');
    writeFileSync(space, 'inputs: {org: acme, space: analytics, recreateSpace: maybe}\n');
    const scenario = resolve(ROOT, 'fixtures/space-scenario');
    const m = await runCli(['rehearse', '--scenario', scenario, '--yes', '--answers', space, '--state-dir', state]);
    expect(m.code, m.stdout + m.stderr).toBe(2);
    expect(m.stderr).toContain('inputs.recreateSpace is string "maybe", but it must be yes or no');
    // Nothing was started, so a bare resume has no orphan to pick.
    expect(existsSync(join(state, 'runs')) ? readdirSync(join(state, 'runs')) : []).toEqual([]);
  });
});

describe('an installed CLI', () => {
  it('rehearses from any working folder: the runbook and the scenario come from the package', async () => {
    const elsewhere = stateDir();
    const xdg = join(elsewhere, 'xdg-state');
    const r = await runCli(['rehearse', '--yes'], { cwd: elsewhere, env: { XDG_STATE_HOME: xdg, DINGO_RECOVER_STATE_DIR: '' } });
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    const runId = runIdOf(r.stdout);
    // The default state folder follows the XDG base directory convention, whatever the working folder.
    assertRecovered(World.load(join(xdg, 'dingo-recover', 'runs', runId), SCENARIO));
    const listed = await runCli(['runs', '--json'], { cwd: ROOT, env: { XDG_STATE_HOME: xdg, DINGO_RECOVER_STATE_DIR: '' } });
    expect(JSON.parse(listed.stdout).runs.map((x: { runId: string }) => x.runId)).toEqual([runId]);
    // DINGO_RECOVER_STATE_DIR overrides it.
    const own = join(elsewhere, 'own-state');
    const o = await runCli(['runs', '--json'], { cwd: elsewhere, env: { XDG_STATE_HOME: xdg, DINGO_RECOVER_STATE_DIR: own } });
    expect(JSON.parse(o.stdout).runs).toEqual([]);
  });
});

describe('bundled scenarios', () => {
  // The space's recovery drills no archive; the single recovery cannot drill seed-003's 9.5 one here.
  it.each([
    ['space-scenario', 0],
    ['fixtures/space-scenario/', 0],
    ['seed-003', DONE_DRILLED_ON_CELL],
  ])('are found by name from any folder: %s', async (name, code) => {
    const elsewhere = stateDir();
    const r = await runCli(['rehearse', '--scenario', name, '--yes', '--state-dir', join(elsewhere, 'state')], { cwd: elsewhere });
    expect(r.code, r.stdout + r.stderr).toBe(code);
    // A clone at a long path folds the greeting before the path: the words are the same.
    expect(r.stdout.replace(/\s*\n\s*/g, ' ')).toContain(
      `simulated platform of ${join(ROOT, 'fixtures', name.replace(/^fixtures\/|\/$/g, ''))}`,
    );
  });

  it('an unknown name is refused, listing the bundled ones', async () => {
    const elsewhere = stateDir();
    const r = await runCli(['rehearse', '--scenario', 'space-scenaro', '--state-dir', elsewhere], { cwd: elsewhere });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no scenario "space-scenaro": neither a folder nor a scenario bundled with dingo-recover');
    expect(r.stderr).toContain('seed-003, space-scenario');
  });
});

describe('non-interactive runs stop for the operator', () => {
  it('exits 3 at the first confirmation without --yes, and resumes with --yes', async () => {
    const state = stateDir();
    const first = await runCli(['rehearse', '--state-dir', state]);
    expect(first.code, first.stdout + first.stderr).toBe(3);
    // The first confirmation is of the OLD instance, before anything is created.
    expect(first.stdout).toMatch(/no answer for confirmation "confirm-deleted-instance"/);
    expect(first.stdout).not.toMatch(/\$ cf create-service/);
    const runId = runIdOf(first.stdout);
    // No archive is restored (drilled) before the operator confirmed it.
    const started = readJournal(join(state, 'runs', runId, 'journal.ndjson')).flatMap((e) => (e.type === 'step.started' ? [e.step] : []));
    expect(started).toContain('inspect-old-archive');
    expect(started).not.toContain('drill-old-archive');
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(again.code, again.stdout).toBe(DONE_DRILLED_ON_CELL);
    assertRecovered(world(state, runId));
  });

  it('does not drill on the cell when this machine has no room to fetch the archive first, says where and how much, and goes on', async () => {
    const state = stateDir();
    // A temp folder of 64 MiB: the drill would fetch the base backup and 5 decompressed WAL segments (80 MiB) into it.
    await onSmallDisk(join(state, 'small-tmp'), { size: '64m', mode: '1777' }, async (small) => {
      const r = await runCli(['rehearse', '--yes', '--state-dir', join(state, 'state')], { env: { TMPDIR: small } });
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.doneWithWarnings);
      const said = r.stdout.replace(/\n\s+/g, ' ');
      expect(said).toMatch(
        new RegExp(
          `not drilled: ${small} has 64\\.0 MiB free; the drill fetches the archive there before restoring it: its base backup \\([\\d.]+ MiB extracted\\) and 5 WAL segment\\(s\\), 80\\.0 MiB decompressed`,
        ),
      );
      // Nothing was fetched there.
      expect(readdirSync(small)).toEqual([]);
      assertRecovered(world(join(state, 'state'), runIdOf(r.stdout)));
    });
  });

  it('stops before anything is changed when this machine’s disk fills as the archive is fetched, and a resume with room drills and recovers', async () => {
    const state = stateDir();
    // Room in bytes for the check, but 8 files: the disk fills as the base backup is extracted, as a disk another program filled meanwhile does.
    const small = join(state, 'few-files');
    const first = await onSmallDisk(small, { size: '1g', files: 8, mode: '1777' }, (tmp) =>
      runCli(['rehearse', '--yes', '--state-dir', join(state, 'state')], { env: { TMPDIR: tmp } }),
    );
    expect(first.code, first.stdout + first.stderr).toBe(EXIT.stepFailed);
    const said = (first.stdout + first.stderr).replace(/\n\s+/g, ' ');
    expect(said).toContain(`stopped: this machine's disk filled while extracting s3://${BUCKET}/backups/${OLD}/wal/basebackups_005/`);
    expect(said).toMatch(/: ENOSPC: no space left on device/);
    expect(said).toContain(
      `nothing has been changed yet: the new container still runs and S3 is as it was; the archive is not at fault: free space on that disk (df -h ${small}), or drill into a folder on a larger one`,
    );
    // The drill stands before the stop: the new container runs, its archive was not moved aside.
    const runId = runIdOf(first.stdout);
    const before = world(join(state, 'state'), runId);
    expect(before.cells[CELL]!.containers[CONTAINER]!.running).toBe(true);
    expect(Object.keys(before.s3[BUCKET]!).filter((k) => k.startsWith(`backups/${NEW}/wal.quarantine-`))).toEqual([]);
    const again = await runCli(['resume', runId, '--yes', '--state-dir', join(state, 'state')]);
    expect(again.code, again.stdout + again.stderr).toBe(DONE_DRILLED_ON_CELL);
    assertRecovered(world(join(state, 'state'), runId));
  });

  it("waits for the operator when the cell's Docker refuses a hardening option of the drill, and goes on without it once chosen", async () => {
    const state = stateDir();
    // A cell kernel without the pids cgroup: Docker 1.11 runs the container without the limit and warns.
    const scenario = scenarioKernelLacking(state, ['pids']);
    const first = await runCli(['rehearse', '--scenario', scenario, '--yes', '--state-dir', state]);
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const said = first.stdout.replace(/\n\s+/g, ' ');
    expect(said).toMatch(/⏸ \[14\/29\] Drill the old archive on the cell, in the new container's image — waiting for the operator/);
    expect(said).toContain(
      'the Docker on cell 10.58.111.150 refused the hardening option --pids-limit: WARNING: Your kernel does not support pids limit',
    );
    expect(said).toContain('choose: {drillWithout: --pids-limit}');
    expect(said).toContain('--yes never chooses');
    // Nothing was stopped: the drill stands before the stop.
    expect(first.stdout).not.toContain('Stop the new container —');
    const runId = runIdOf(first.stdout);
    const answers = join(state, 'answers.yaml');
    writeFileSync(answers, `${readFileSync(join(scenario, 'answers.yaml'), 'utf8')}  drillWithout: --pids-limit\n`);
    const again = await runCli(['resume', runId, '--answers', answers, '--yes', '--verbose', '--state-dir', state]);
    expect(again.code, again.stdout + again.stderr).toBe(DONE_DRILLED_ON_CELL);
    const probes = again.stdout.split('\n').filter((l) => / run --rm --label dingo-recover\.cell-drill=/.test(l));
    // Asked again with the option, then without it and with the rest of the hardening.
    expect(probes).toHaveLength(2);
    expect(probes[0]).toContain('--pids-limit 256');
    expect(probes[1]).not.toContain('--pids-limit');
    expect(probes[1]).toContain('--net none --cap-drop ALL --security-opt no-new-privileges --read-only');
    assertRecovered(world(state, runId));
  });

  it('prints the command to continue as it must be pasted: the state folder quoted, npx when npx started it', async () => {
    const state = join(stateDir(), "the operator's runs");
    const first = await runCli(['rehearse', '--state-dir', state], { env: { npm_command: 'exec' } });
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const runId = runIdOf(first.stdout);
    const hint = `npx dingo-recover resume ${runId} --state-dir '${state.replace(/'/g, `'\\''`)}'`;
    expect(first.stdout).toContain(`the run is saved; continue with: ${hint}`);
    // Pasted into a POSIX shell as printed (npx swapped for this checkout's CLI), it resumes the run.
    const command = `${hint.replace(/^npx dingo-recover/, '"$0" "$1"')} --yes`;
    const pasted = await promisify(execFile)('sh', ['-c', command, process.execPath, BIN]).then(
      () => ({ code: 0 }),
      (err: unknown) => err as { code?: number },
    );
    expect(pasted.code).toBe(DONE_DRILLED_ON_CELL);
    assertRecovered(world(state, runId));
  });
});

describe('a journal written before a step gave an output the runbook now uses', () => {
  it('runs that read step again on resume, and recovers', async () => {
    const state = stateDir();
    const killed = await runCli(['rehearse', '--yes', '--state-dir', state], {
      env: { DINGO_RECOVER_FAILPOINTS: 'step:inspect-new-container' },
    });
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const runId = runIdOf(killed.stdout);
    // As an older version journaled it: without the container's archive prefix.
    const file = join(state, 'runs', runId, 'journal.ndjson');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => {
        if (!line.includes('"step.finished"') || !line.includes('"inspect-new-container"')) return line;
        const e = JSON.parse(line) as { outputs: Record<string, unknown> };
        delete e.outputs.archiveUrl;
        return JSON.stringify(e);
      });
    writeFileSync(file, lines.join('\n'));
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(again.code, again.stdout + again.stderr).toBe(DONE_DRILLED_ON_CELL);
    const finished = readJournal(file).filter((e) => e.type === 'step.finished' && e.step === 'inspect-new-container');
    expect(finished).toHaveLength(2);
    assertRecovered(world(state, runId));
  });
});

describe('crash inside the S3 work, resume, same result', () => {
  // Every step boundary and every journal point is swept in ../resume/crash-sweep.test.ts; S3 calls are not
  // journaled, so the middle of the quarantine (copies, then the delete) and of the copy is here.
  const points = ['s3.copy:3', 's3.delete:1', 's3.copy:9', 's3.copy:13', 's3.copy:17'];
  it.each(points)('SIGKILL at %s, then resume', async (point) => {
    const state = stateDir();
    const killed = await runCli(['rehearse', '--yes', '--state-dir', state], { env: { DINGO_RECOVER_FAILPOINTS: point } });
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const runId = runIdOf(killed.stdout);
    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
    assertRecovered(world(state, runId));
  });
});

describe('command-line conventions', () => {
  it('--version prints the package version; a bare dingo-recover prints help and starts nothing', async () => {
    const home = stateDir();
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const bare = await runCli([], { env: { XDG_STATE_HOME: home, DINGO_RECOVER_STATE_DIR: '' } });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain('dingo-recover <command>');
    expect(bare.stdout).toContain('rehearse');
    expect(existsSync(join(home, 'dingo-recover'))).toBe(false);
  });
});
