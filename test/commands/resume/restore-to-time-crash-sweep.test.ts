/**
 * restore-to-time into a new service survives a crash anywhere. The rehearsal of the bundled
 * incident (important-db deleted; its archive is PostgreSQL 9.5, so the scratch restore says "not
 * restored" and the copy is created empty) is killed (SIGKILL, its whole process group) at every
 * step boundary, at every moment inside a step that changes the platform, at seeded random moments
 * elsewhere, and just after each change of the platform before the run journaled it; `resume
 * --yes` must finish with exit 0 and leave the platform as an uninterrupted run does: the copy
 * created once, each app bound to it once, no second service, and everything but the copy (the
 * deleted instance's archive, the other instances, their containers) as the scenario began. The
 * same incident with important-db still alive is swept at every step boundary, and again with a
 * real PostgreSQL 15 archive in its place, which restores, dumps and loads into the copy: killed
 * at every step boundary, inside the load and just after each change, the dump is loaded once and
 * the live instance is never touched.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import type { JournalEvent } from '../../../src/engine/journal/index.js';
import { CrashSweep, TEST_MS, platformState, type SweptRun } from '../../support/crash-sweep.js';
import { LIVE_GUID, liveInstanceScenario, restorableLiveScenario } from '../../support/live-instance-scenario.js';
import { betweenBatches } from '../../support/wale-archive.js';

/** Random moments: how many, and the seed that picks them (CRASH_SWEEP_SEED explores others). */
const RANDOM_MOMENTS = 20;
const SEED = Number(process.env.CRASH_SWEEP_SEED ?? 0x5eed029);
const COPY = 'important-db-copy';
const APPS = ['their-app'];

const dir = mkdtempSync(join(tmpdir(), 'dr-sweep-pitr-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The answers of a restore of important-db to MOMENT into the new service COPY, bound to the apps. */
function answersFile(name: string, moment: string, choose = ''): string {
  const file = join(dir, `${name}-answers.yaml`);
  writeFileSync(
    file,
    `inputs:
  org: acme
  space: important-space-and-all-databases
  instance: important-db
  targetTime: "${moment}"
  copyName: ${COPY}
  into: service
  apps: [${APPS.join(', ')}]
${choose}`,
  );
  return file;
}

const rehearse = (answers: string): string[] => ['rehearse', '--runbook', 'restore-to-time', '--yes', '--answers', answers];

const deletedScenario = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));
const deleted = await CrashSweep.start({
  args: rehearse(answersFile('deleted', '2016-03-17T05:00:00Z', 'choose:\n  deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3\n')),
  scenario: deletedScenario,
});
const liveScenario = loadScenario(await liveInstanceScenario(dir));
const live = await CrashSweep.start({
  args: [...rehearse(answersFile('live', '2016-03-17T05:00:00Z')), '--scenario', liveScenario.dir],
  scenario: liveScenario,
});
/** The live instance whose archive really restores (PostgreSQL 15): the copy is restored between its two batches, dumped and loaded. */
// PostgreSQL's account generates the archive in it: it passes through the test's folder.
chmodSync(dir, 0o711);
mkdirSync(join(dir, 'restorable'));
const restorable = await restorableLiveScenario(join(dir, 'restorable'));
const between = betweenBatches(restorable.archive, 0).toISOString();
const loadedScenario = loadScenario(restorable.scenario);
const loaded = await CrashSweep.start({
  args: [...rehearse(answersFile('loaded', between)), '--scenario', loadedScenario.dir],
  scenario: loadedScenario,
});

/** The GUID of the copy in a world; there must be exactly one service of its name. */
function copyGuid(w: WorldState): string {
  const copies = w.cf.instances.filter((i) => i.name === COPY);
  expect(
    copies.map((i) => i.name),
    'one service of the copy name',
  ).toEqual([COPY]);
  return copies[0]!.guid;
}

/**
 * The platform without the copy: its instance, its containers (the leader and the nodes it grew),
 * what they serve, its etcd keys and archive, its bindings. The operator's cf target and the
 * world's history are left out too (the history is compared with the uninterrupted run's).
 */
function withoutCopy(w: WorldState, guid: string | undefined) {
  const ps = platformState(w);
  const mine = (text: string): boolean => guid !== undefined && text.includes(guid);
  const copyContainers = new Set(
    Object.values(w.cells).flatMap((c) =>
      Object.values(c.containers)
        .filter((k) => k.env.some(mine))
        .map((k) => k.name),
    ),
  );
  const ofCopy = (text: string): boolean => mine(text) || [...copyContainers].some((n) => text.includes(n.replace(/^cf-/, '')));
  const { cfTarget: _target, changes: _changes, restartedApps: _restarted, ...rest } = ps;
  return {
    ...rest,
    s3: Object.fromEntries(Object.entries(rest.s3).map(([b, keys]) => [b, keys.filter((k) => !ofCopy(k))])),
    cells: Object.fromEntries(
      Object.entries(rest.cells).map(([ip, cell]) => [
        ip,
        {
          containers: Object.fromEntries(Object.entries(cell.containers).filter(([name]) => !copyContainers.has(name))),
          files: cell.files.filter((f) => !ofCopy(f)),
        },
      ]),
    ),
    etcd: Object.fromEntries(Object.entries(rest.etcd).filter(([k, v]) => !ofCopy(k) && !ofCopy(v))),
    serving: Object.fromEntries(Object.entries(rest.serving).filter(([name]) => !copyContainers.has(name))),
    instances: rest.instances.filter((i) => i.guid !== guid),
    apps: rest.apps.map((a) => ({ ...a, bound: a.bound.filter((g) => g !== guid) })),
  };
}

/** The cf commands that create a service, in a run's whole journal (the killed part and the resume). */
const creates = (events: JournalEvent[]): number =>
  events.filter((e) => e.type === 'command' && e.writes && e.argv.slice(0, 2).join(' ') === 'cf create-service').length;

/**
 * Killed at POINT (a journal event, or just after a change of the platform whose command, UNJOURNALED,
 * the killed run did not journal) and resumed: as the uninterrupted run ends, the copy created once
 * and bound once per app, the rest untouched.
 */
async function expectOneCopy(sweep: CrashSweep, start: WorldState, point: number | string, unjournaled?: JournalEvent): Promise<SweptRun> {
  const run = await sweep.expectSameEnd(point);
  expect(creates(unjournaled ? [...run.events, unjournaled] : run.events), 'cf create-service run once').toBe(1);
  const guid = copyGuid(run.world);
  const apps = platformState(run.world).apps.filter((a) => APPS.includes(a.name));
  expect(apps.map((a) => a.bound.filter((g) => g === guid).length)).toEqual(APPS.map(() => 1));
  expect(withoutCopy(run.world, guid)).toEqual(withoutCopy(start, undefined));
  return run;
}

describe.each([
  ['deleted', deleted, deletedScenario.initial],
  ['live', live, liveScenario.initial],
  ['live (restorable archive)', loaded, loadedScenario.initial],
] as const)('the uninterrupted restore of the %s important-db into a new service', (_name, sweep, start) => {
  it('creates the copy once, binds it, grows it, and leaves everything else as it was', () => {
    const { events, world } = sweep.baseline;
    expect(events.at(-1)?.type).toBe('run.finished');
    expect(creates(events)).toBe(1);
    const guid = copyGuid(world);
    expect(platformState(world).apps.find((a) => a.name === 'their-app')?.bound).toEqual([guid]);
    expect(
      Object.values(world.cells).flatMap((c) => Object.values(c.containers).filter((k) => k.env.some((e) => e.includes(guid)))),
    ).toHaveLength(2);
    expect(withoutCopy(world, guid)).toEqual(withoutCopy(start, undefined));
    // The comparison would see the live instance touched: it is in what is compared.
    expect(JSON.stringify(withoutCopy(world, guid))).toContain(LIVE_GUID);
  });
});

describe('the uninterrupted restore of the live important-db whose archive restores', () => {
  it("loads the dump of the database as it was between the two batches into the copy's leader, once", () => {
    const { events, world } = loaded.baseline;
    const guid = copyGuid(world);
    const leader = Object.values(world.cells)
      .flatMap((c) => Object.values(c.containers))
      .find((k) => k.env.includes(`PATRONI_SCOPE=${guid}`) && k.pg.databases);
    // The generated archive's rows are in its postgres database: one table, loaded once.
    expect(leader?.pg.databases?.postgres).toMatchObject({ tables: 1, loads: [expect.anything()] });
    const restored = events.find((e) => e.type === 'step.finished' && e.step === 'restore');
    expect(JSON.stringify(restored)).toContain('"restored":true');
  });
});

/** A kill point: a journal event, or just after a change of the platform whose command the killed run did not journal. */
interface Kill {
  name: string;
  point: number | string;
  unjournaled?: JournalEvent;
}

const atEvents = (sweep: CrashSweep, seqs: number[]): Kill[] =>
  [...new Set(seqs)].sort((a, b) => a - b).map((seq) => ({ name: sweep.describeSeq(seq), point: seq }));
const afterChanges = (sweep: CrashSweep): Kill[] => sweep.writes().map((w) => ({ name: w.what, point: w.point, unjournaled: w.command }));

/** A concurrent block of kill-and-resume tests, each expecting one copy and the rest untouched. */
function sweepAt(title: string, sweep: CrashSweep, start: WorldState, kills: Kill[]): void {
  describe.concurrent(title, () => {
    it.each(kills.map((k) => [k.name, k] as const))(
      '%s',
      async (_name, k) => {
        await expectOneCopy(sweep, start, k.point, k.unjournaled);
      },
      TEST_MS,
    );
  });
}

sweepAt(
  'restore-to-time of the deleted instance: SIGKILL at every step boundary, then resume --yes',
  deleted,
  deletedScenario.initial,
  atEvents(deleted, deleted.boundaries()),
);
sweepAt(
  'restore-to-time of the deleted instance: SIGKILL at every moment inside a step that changes the platform',
  deleted,
  deletedScenario.initial,
  atEvents(deleted, deleted.insideWritingSteps()),
);
sweepAt(
  'restore-to-time of the deleted instance: SIGKILL just after each change of the platform, before it is journaled',
  deleted,
  deletedScenario.initial,
  afterChanges(deleted),
);
sweepAt(
  `restore-to-time of the deleted instance: SIGKILL at ${RANDOM_MOMENTS} random moments (seed ${SEED})`,
  deleted,
  deletedScenario.initial,
  deleted.randomMoments(RANDOM_MOMENTS, SEED).map((seq, i) => ({ name: `#${i + 1} at ${deleted.describeSeq(seq)}`, point: seq })),
);
sweepAt(
  'restore-to-time of the live instance: SIGKILL at every step boundary, then resume --yes',
  live,
  liveScenario.initial,
  atEvents(live, live.boundaries()),
);

/** The moments inside the load of the dumps into the copy. */
const insideLoad = loaded.baseline.events
  .filter((e) => 'step' in e && e.step?.endsWith('/load-dumps') && e.type !== 'step.finished')
  .map((e) => e.seq);

sweepAt(
  'restore-to-time of the live instance, its dump loaded into the copy: SIGKILL at every step boundary, inside the load and just after each change, then resume --yes',
  loaded,
  loadedScenario.initial,
  [...atEvents(loaded, [...loaded.boundaries(), ...insideLoad]), ...afterChanges(loaded)],
);
