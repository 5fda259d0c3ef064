/**
 * The space actions: every instance of a deleted space from a fake Cloud Controller (v3, and an old
 * v2-only one), generated logs and archives in a memory store; the plan and leaveOut; the report;
 * check-apps reporting the apps a space delete removed; create-space.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionRegistry } from '../../src/actions/index.js';
import { UsageError } from '../../src/core/errors.js';
import { nodesToGrowTo } from '../../src/actions/space.js';
import type { ClusterSize } from '../../src/logs/types.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { testChoices } from '../support/choices.js';
import { simulateCf } from '../../src/rehearsal/cf/index.js';
import type { CommandRunner } from '../../src/core/seams.js';
import { ArchiveBuilder, BUCKET, minutes } from '../support/archive-builder.js';
import { TestStore } from '../support/memory-store.js';
import { CF_VERSIONS, SPACE_GUID, cfWorld } from '../support/fake-cli/worlds.js';
import { generateLogs, type GeneratedLogs, type TruthInstance } from '../support/generate-logs.js';
import { settled } from '../support/started.js';
import { fakeCcRunner, type FakeEvent } from '../adapters/cf-events-fake.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { testRuntime } from '../support/runtime.js';

const actions = actionRegistry();
const act = (name: string) => actions.get(name)!;

/** An archive builder writing into a shared store. */
class SharedBuilder extends ArchiveBuilder {
  override readonly store: TestStore;
  constructor(prefix: string, store: TestStore) {
    super(prefix);
    this.store = store;
  }
}

function restorable(store: TestStore, t: TruthInstance): void {
  const a = new SharedBuilder(t.archivePrefix.replace(`s3://${BUCKET}/`, ''), store);
  a.sysid();
  a.wal('000000010000000000000001', '000000010000000000000009', minutes(0));
  a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000002', at: minutes(1) });
}

function context(runner: CommandRunner, logs: string[], store: TestStore) {
  const notes: string[] = [];
  const ctx = {
    cf: runner,
    s3: store,
    settings: { ...DEFAULT_SETTINGS, logPaths: logs },
    platform: { openLogs: openLogSource },
    answers: { inputs: {}, secrets: {} },
    choices: testChoices(),
    adoptable: [],
    note: (t: string) => notes.push(t),
    evidence: (t: string) => notes.push(t),
    progress: () => undefined,
    runtime: testRuntime(),
  } as unknown as StepContext;
  return { ctx, notes };
}

let root: string;
let truth: GeneratedLogs;
let byName: (name: string) => TruthInstance;
const GHOST = '0b9d6a3e-1f2c-4d5e-8f70-9a8b7c6d5e4f';
const CACHE = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const GONE = '2017-01-05T10:00:00Z';
const store = new TestStore(BUCKET);

function spaceEvents(): FakeEvent[] {
  const org = truth.orgGuid;
  const space = truth.spaceGuid;
  let n = 0;
  const e = (type: string, time: string, actee: string, acteeName: string, request: Record<string, unknown> = {}, spaceGuid = space) => ({
    guid: `ev-${++n}`,
    type,
    time,
    actor: 'dev@example.com',
    actee,
    acteeType: type.split('.')[1]!,
    acteeName,
    spaceGuid,
    orgGuid: org,
    request,
  });
  const created = (name: string, guid: string, plan: string) =>
    e('audit.service_instance.create', '2016-12-29T00:00:00Z', guid, name, { name, service_plan_guid: plan, space_guid: space });
  const deleted = (name: string, guid: string) => e('audit.service_instance.delete', '2017-01-05T10:00:05Z', guid, name);
  const dingo = (name: string, plan: string) => [created(name, byName(name).guid, plan), deleted(name, byName(name).guid)];
  return [
    e(
      'audit.space.delete-request',
      '2016-06-01T00:00:00Z',
      'f00dcafe-0000-4000-8000-000000000001',
      'analytics',
      {},
      'f00dcafe-0000-4000-8000-000000000001',
    ),
    e('audit.space.delete-request', GONE, space, 'analytics', { recursive: true }),
    e('audit.space.delete-request', GONE, 'f00dcafe-0000-4000-8000-000000000002', 'staging', {}, 'f00dcafe-0000-4000-8000-000000000002'),
    e('audit.app.create', '2016-12-29T00:00:00Z', 'app-web', 'web'),
    e('audit.app.create', '2016-12-29T00:00:00Z', 'app-worker', 'worker'),
    ...dingo('orders-db', 'plan-cluster'),
    ...dingo('reports-db', 'plan-solo'),
    ...dingo('scratch-db', 'plan-solo'),
    created('ghost-db', GHOST, 'plan-solo'),
    created('cache', CACHE, 'plan-redis'),
    e('audit.service_binding.create', '2016-12-30T00:00:00Z', 'b1', '', {
      app_guid: 'app-web',
      service_instance_guid: byName('orders-db').guid,
    }),
    e('audit.service_binding.create', '2016-12-30T00:00:00Z', 'b2', '', {
      app_guid: 'app-worker',
      service_instance_guid: byName('reports-db').guid,
    }),
    e('audit.service_binding.delete', '2017-01-05T10:00:03Z', 'b1', ''),
  ];
}

const plans = [
  { guid: 'plan-cluster', name: 'cluster', offering: 'dingo-postgresql' },
  { guid: 'plan-solo', name: 'solo', offering: 'dingo-postgresql' },
  { guid: 'plan-redis', name: 'shared-vm', offering: 'p-redis' },
];

function cc(v3: boolean) {
  return fakeCcRunner({
    version: v3 ? '8.7.0' : '6.22.2',
    v3,
    orgs: [{ name: 'acme', guid: truth.orgGuid }],
    events: spaceEvents(),
    plans,
    pageSize: 3,
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'space-actions-'));
  truth = await generateLogs({ dir: root, seed: 7, names: ['orders-db', 'reports-db', 'scratch-db', 'elsewhere-db'] });
  byName = (name) => truth.instances.find((i) => i.name === name)!;
  restorable(store, byName('orders-db'));
  restorable(store, byName('reports-db'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const find = (ctx: StepContext, over: Record<string, unknown> = {}) =>
  act('space.find-instances').run(
    ctx,
    { org: 'acme', space: 'analytics', spaceGuid: 'find', offering: 'dingo-postgresql', names: [], ...over },
    {},
  );

/** The plan and the report read no platform. */
const noCc = fakeCcRunner({ version: '8.7.0', v3: true, orgs: [], events: [] });

const names = (list: unknown) => (list as Record<string, unknown>[]).map((i) => i.name);

describe('space.find-instances', () => {
  for (const v3 of [true, false]) {
    it(`finds every instance of the latest deletion of the space, recoverable or why not (${v3 ? 'v3' : 'old v2-only'} CC)`, async () => {
      const { ctx, notes } = context(cc(v3), [root], store);
      const out = await find(ctx);
      expect(out).toMatchObject({ oldSpaceGuid: truth.spaceGuid, deletedAt: GONE, deletedBy: 'dev@example.com' });
      expect(notes.join('\n')).toContain('an earlier space named "analytics" was also deleted');
      expect(names(out.instances)).toEqual(['ghost-db', 'orders-db', 'reports-db', 'scratch-db']);
      const orders = (out.instances as Record<string, unknown>[])[1]!;
      expect(orders).toEqual({
        name: 'orders-db',
        unnamed: false,
        instanceGuid: byName('orders-db').guid,
        offering: 'dingo-postgresql',
        plan: 'cluster',
        // The logs show one node, but the cluster plan has two: it comes back grown to its plan.
        // What the generated logs show it ran (one node: either broker generation's deletion names it).
        nodeCount: byName('orders-db').nodes.length,
        nodeCountInput: String(byName('orders-db').nodes.length),
        archiveUrl: byName('orders-db').archivePrefix,
        lastSegment: '000000010000000000000009',
        lastSegmentAt: minutes(8).toISOString(),
        deletedAt: '2017-01-05T10:00:05Z',
        apps: ['web'],
        appGuids: { web: 'app-web' },
        recoverable: true,
        why: expect.stringContaining('restorable from base_000000010000000000000002_00000040'),
        evidence: expect.arrayContaining([expect.stringContaining('audit.service_instance.create')]),
      });
      expect(names(out.unrecoverable)).toEqual(['ghost-db', 'scratch-db']);
      const [ghost, scratch] = out.unrecoverable as Record<string, unknown>[];
      expect(ghost).toMatchObject({ archiveUrl: `s3://${BUCKET}/backups/${GHOST}/wal/`, recoverable: false });
      expect(ghost!.why).toContain('no wal-e upload lines in the logs');
      expect(scratch!.why).toBe(`no archive: nothing at ${byName('scratch-db').archivePrefix}`);
      expect(out.others).toEqual([
        {
          name: 'cache',
          instanceGuid: CACHE,
          offering: 'p-redis',
          plan: 'shared-vm',
          why: 'offering p-redis, not dingo-postgresql: left alone',
        },
      ]);
    });
  }

  it('warns of broker-shaped lines a tenant container wrote, and they change nothing', async () => {
    const forged = await mkdtemp(join(tmpdir(), 'space-forged-'));
    try {
      const node = '80a1b2c3-0000-4000-8000-000000000002';
      const record = JSON.stringify({
        timestamp: '1483610400.5',
        source: 'dingo-postgresql-broker',
        message: 'dingo-postgresql-broker.provision.lookup-service-name.update-recreation-data.saved',
        log_level: 1,
        data: { 'instance-id': byName('elsewhere-db').guid, name: 'orders-db' },
      });
      await writeFile(join(forged, 'syslog'), `Jan  5 10:00:00 cell-1 docker/cf-${node}:  80a1b2-patroni> ${record}\n`);
      const { ctx, notes } = context(cc(true), [root, forged], store);
      const out = await find(ctx);
      expect(names(out.instances)).toEqual(['ghost-db', 'orders-db', 'reports-db', 'scratch-db']);
      expect(notes).toContainEqual(
        expect.stringMatching(new RegExp(`^warning: 1 broker-shaped line\\(s\\) written by container cf-${node} ignored`)),
      );
    } finally {
      await rm(forged, { recursive: true, force: true });
    }
  });

  it('takes the space GUID given instead of searching by name, and stops before anything changes when it held nothing to recover', async () => {
    const { ctx } = context(cc(true), [root], store);
    await expect(find(ctx, { spaceGuid: 'f00dcafe-0000-4000-8000-000000000001' })).rejects.toMatchObject({
      message: expect.stringMatching(
        /^space analytics \(f00dcafe-0000-4000-8000-000000000001\) held 0 Dingo instance\(s\), 0 recoverable; 0 other\(s\) left alone: nothing to recover; nothing was changed$/,
      ),
      hint: expect.stringContaining('check the org and the space name (or the spaceGuid input) with the user'),
    });
  });

  for (const v3 of [true, false]) {
    it(`refuses a space GUID given by hand that is a live space (${v3 ? 'v3' : 'v2'}), and checks nothing else`, async () => {
      const live = fakeCcRunner({
        version: v3 ? '8.7.0' : '6.22.2',
        v3,
        orgs: [{ name: 'acme', guid: truth.orgGuid }],
        spaces: [{ name: 'analytics', guid: 'a1b2c3d4-0000-4000-8000-00000000000a', orgGuid: truth.orgGuid }],
        events: [],
        plans,
      });
      const { ctx } = context(live, [root], store);
      const err = await find(ctx, { spaceGuid: 'a1b2c3d4-0000-4000-8000-00000000000a' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toBe(
        `space GUID a1b2c3d4-0000-4000-8000-00000000000a (inputs.spaceGuid) is a live space, "analytics" (org ${truth.orgGuid}): it was not deleted`,
      );
      expect((err as UsageError).hint).toContain("give the deleted space's GUID, not the recreated space's");
      expect(live.calls.some((c) => c.includes('space_guid'))).toBe(false);
    });
  }

  it('says so when the space of that name still exists', async () => {
    const live = fakeCcRunner({
      version: '8.7.0',
      v3: true,
      orgs: [{ name: 'acme', guid: truth.orgGuid }],
      spaces: [{ name: 'production', guid: 'a11ce000-0000-4000-8000-000000000001', orgGuid: truth.orgGuid }],
      events: spaceEvents(),
      plans,
      pageSize: 3,
    });
    const { ctx } = context(live, [root], store);
    await expect(find(ctx, { space: 'production' })).rejects.toMatchObject({
      message: 'space "production" of org acme still exists (a11ce000-0000-4000-8000-000000000001): it was not deleted',
      hint: expect.stringContaining('cf 7 and 8 delete a space'),
    });
  });

  it('says what was searched and what to do when no space of that name was deleted', async () => {
    const { ctx } = context(cc(false), [root], store);
    await expect(find(ctx, { space: 'analytic' })).rejects.toMatchObject({
      message: expect.stringMatching(
        /no deletion of a space named "analytic" in org acme .*3 audit.space.delete-request event\(s\) of the org read through the v2 API; they name "analytics"/,
      ),
      hint: expect.stringContaining('inputs.spaceGuid'),
    });
  });

  describe('when the audit events have expired (the space GUID given, the logs alone know its instances)', () => {
    const expired = () => fakeCcRunner({ version: '8.7.0', v3: true, orgs: [{ name: 'acme', guid: truth.orgGuid }], events: [], plans });
    const recoverableGuids = () => [byName('orders-db').guid, byName('reports-db').guid];

    it('brings each unnamed instance back under a stand-in name, and says how to name it', async () => {
      const { ctx } = context(expired(), [root], store);
      const out = await find(ctx, { spaceGuid: truth.spaceGuid });
      const instances = out.instances as Record<string, unknown>[];
      const recoverable = instances.filter((i) => i.recoverable === true);
      expect(recoverable.map((i) => i.instanceGuid).sort()).toEqual(recoverableGuids().sort());
      for (const i of recoverable) {
        expect(i).toMatchObject({ name: `recovered-${String(i.instanceGuid).slice(0, 8)}`, unnamed: true });
        expect(i.evidence).toContain(
          `no audit event or broker record names it: it comes back as ${String(i.name)} (give its name as inputs.names ${String(i.instanceGuid)}=NAME to use that instead)`,
        );
      }
    });

    it('takes the names the operator gives as GUID=NAME, and refuses a malformed entry or a GUID the space did not hold', async () => {
      const orders = byName('orders-db').guid;
      const { ctx } = context(expired(), [root], store);
      const out = await find(ctx, { spaceGuid: truth.spaceGuid, names: [` ${orders.toUpperCase()} = orders-db `] });
      const named = (out.instances as Record<string, unknown>[]).find((i) => i.instanceGuid === orders)!;
      expect(named).toMatchObject({ name: 'orders-db', unnamed: false, recoverable: true });
      expect(named.evidence).toContain('named "orders-db" by the operator (inputs.names)');
      await expect(find(ctx, { spaceGuid: truth.spaceGuid, names: ['orders-db'] })).rejects.toThrow(
        'inputs.names entry "orders-db" is not GUID=NAME',
      );
      await expect(find(ctx, { spaceGuid: truth.spaceGuid, names: [`${GHOST}=ghost-db`] })).rejects.toThrow(
        `inputs.names gives a name to ${GHOST}, which the deleted space did not hold`,
      );
    });

    it("keeps the records' name over the operator's, and says so", async () => {
      const { ctx, notes } = context(cc(true), [root], store);
      const orders = byName('orders-db').guid;
      const out = await find(ctx, { names: [`${orders}=other-name`] });
      expect((out.instances as Record<string, unknown>[]).find((i) => i.instanceGuid === orders)).toMatchObject({ name: 'orders-db' });
      expect(notes).toContain(`inputs.names calls ${orders} "other-name", but its records name it "orders-db": the records' name is kept`);
    });
  });
});

/** A space instance as space.find-instances makes it (records.ts's SPACE_INSTANCE). */
const item = (name: string, recoverable: boolean, extra: Record<string, unknown> = {}) => ({
  name,
  unnamed: false,
  instanceGuid: `${name}-guid`,
  offering: 'dingo-postgresql',
  plan: 'standard',
  nodeCount: 2,
  nodeCountInput: '2',
  evidence: [],
  archiveUrl: `s3://b/backups/${name}-guid/wal/`,
  lastSegment: recoverable ? '000000010000000000000009' : null,
  lastSegmentAt: recoverable ? '2017-01-05T09:50:00Z' : null,
  deletedAt: '2017-01-05T10:00:05Z',
  apps: ['web'],
  recoverable,
  why: recoverable ? 'restorable' : 'no archive',
  ...extra,
});

describe('space.confirm-plan', () => {
  const plan = { space: 'analytics', instances: [item('orders-db', true), item('reports-db', true), item('scratch-db', false)] };
  const others = [{ name: 'cache', instanceGuid: 'c', offering: 'p-redis', plan: 'small', why: 'offering p-redis' }];
  const { ctx } = context(noCc, [], store);

  it('recovers the recoverable instances not left out, and passes on the others', async () => {
    const out = await act('space.confirm-plan').run(ctx, { ...plan, others, leaveOut: ['reports-db'] }, {});
    expect(names(out.instances)).toEqual(['orders-db']);
    expect(out.recovering).toEqual(['orders-db']);
    expect(out.leftOut).toEqual(['reports-db']);
    expect(names(out.unrecoverable)).toEqual(['scratch-db']);
    expect(out.others).toEqual(others);
  });

  it('refuses a name the space did not hold, naming the valid ones', async () => {
    await expect(act('space.confirm-plan').run(ctx, { ...plan, others, leaveOut: ['report-db'] }, {})).rejects.toMatchObject({
      exitCode: 2,
      message: 'cannot leave out "report-db": the space held no Dingo instance of that name',
      hint: expect.stringContaining('orders-db, reports-db, scratch-db'),
    });
  });

  it('refuses to recover nothing: with every restorable instance left out, the space is not recreated', async () => {
    await expect(act('space.confirm-plan').run(ctx, { ...plan, others, leaveOut: ['orders-db', 'reports-db'] }, {})).rejects.toMatchObject({
      exitCode: 2,
      message: 'every restorable instance is left out: nothing to recover, and the space is not recreated for nothing',
    });
  });

  it('shows the whole plan at the confirmation', async () => {
    const shown = await act('space.confirm-plan').evidence!(ctx, { ...plan, others, leaveOut: ['reports-db'] });
    expect(shown['orders-db']).toContain('last WAL 000000010000000000000009 at 2017-01-05T09:50:00Z, bound to web: recoverable');
    expect(shown['reports-db']).toContain('(LEFT OUT)');
    expect(shown['scratch-db']).toContain('NOT recoverable: no archive');
    expect(shown['left alone']).toBe('cache: offering p-redis');
  });
});

const WEB_GUID = '24a2631e-ce4d-4a06-9167-1cfef9e2b2c4';
const WORKER_GUID = '525189b5-10c3-4a92-9971-a11e3a6dcb00';
/** An app bound to orders-db that no audit event names. */
const CRON_GUID = '2c3b4d5e-6f70-4a81-92a3-b4c5d6e7f809';

describe('space.report', () => {
  it('tells per instance what came back, what was kept aside, lost, and which apps to re-push', async () => {
    const { ctx, notes } = context(noCc, [], store);
    const results = [
      {
        key: 'orders-db',
        status: 'finished',
        // What recover-space-instance declares it produces.
        outputs: {
          newGuid: 'new-orders',
          nodes: 2,
          cellIp: '10.58.111.150',
          missingApps: ['worker', CRON_GUID],
          bound: ['web'],
          quarantineUrl: 's3://b/quarantine/x/',
          dataAside: '/data/aside-1',
          lastSegmentAt: '2017-01-05T09:50:00Z',
        },
      },
      { key: 'reports-db', status: 'failed', error: 'container did not stop', failedStep: 'stop-container', outputs: {} },
    ];
    const out = await act('space.report').run(
      ctx,
      {
        org: 'acme',
        space: 'analytics',
        deletedAt: GONE,
        recreated: false,
        instances: [
          item('orders-db', true, {
            apps: ['web', 'worker', CRON_GUID],
            appGuids: { web: WEB_GUID, worker: WORKER_GUID, [CRON_GUID]: CRON_GUID },
          }),
          item('reports-db', true),
        ],
        results,
        unrecoverable: [item('scratch-db', false)],
        leftOut: ['old-db'],
        others: [{ name: 'cache', instanceGuid: 'c', offering: 'p-redis', plan: 'small', why: 'offering p-redis' }],
      },
      {},
    );
    expect(out.recovered).toEqual(['orders-db']);
    expect(out.failed).toEqual(['reports-db']);
    const md = out.summary as string;
    expect(md).toContain('- Recovered as: new-orders, 2 node(s) (cell 10.58.111.150)');
    expect(md).toContain('up to 10 min, were never archived');
    expect(md).toContain("the new instance's archive at s3://b/quarantine/x/; its data at /data/aside-1 on 10.58.111.150");
    expect(md).toContain(
      `- App worker (${WORKER_GUID}) no longer exists (the space delete removed it): re-push it, then bind it: cf push worker --no-start; cf bind-service worker orders-db; cf start worker`,
    );
    expect(md).toContain(
      `- App app ${CRON_GUID} (no audit event names it: ask the user its name) no longer exists (the space delete removed it): re-push it, then bind it: cf push NAME --no-start; cf bind-service NAME orders-db; cf start NAME`,
    );
    expect(out.todo).toContain(
      `orders-db: re-push worker (${WORKER_GUID}), app ${CRON_GUID} (no audit event names it: ask the user its name) (the space delete removed them), then cf push worker --no-start; cf bind-service worker orders-db; cf start worker; cf push NAME --no-start; cf bind-service NAME orders-db; cf start NAME`,
    );
    expect(md).toContain('NOT recovered: failed at step stop-container: container did not stop');
    expect(md).toMatch(/### Not recoverable\n\n- scratch-db \(scratch-db-guid\): no archive/);
    expect(md).toMatch(/### Left alone\n\n- cache \(c\): offering p-redis/);
    expect(md).toContain("Left out at the user's request: old-db");
    expect(notes).toContain(`orders-db: recovered as new-orders, re-push worker, ${CRON_GUID}`);
  });

  it('asks to rename an instance that came back under a stand-in name', async () => {
    const { ctx, notes } = context(noCc, [], store);
    const results = [{ key: 'recovered-30d7b9b8', status: 'finished', outputs: { newGuid: 'new-x' } }];
    const out = await act('space.report').run(
      ctx,
      {
        org: 'acme',
        space: 'analytics',
        deletedAt: '',
        recreated: false,
        instances: [item('recovered-30d7b9b8', true, { unnamed: true })],
        results,
        unrecoverable: [],
        leftOut: [],
        others: [],
      },
      {},
    );
    expect(out.summary).toContain(
      '- Name: no audit event or broker record gave one, so it came back as recovered-30d7b9b8: once the user names it, cf rename-service recovered-30d7b9b8 NAME (its bindings and credentials stay)',
    );
    expect(notes).toContain('recovered-30d7b9b8: recovered as new-x, rename it');
  });
});

describe('cf.check-apps and cf.create-space', () => {
  function simulated() {
    const w = cfWorld(CF_VERSIONS.v8);
    const runner: CommandRunner = { where: 'local', run: (spec) => settled(() => simulateCf(w, spec)) };
    const { ctx } = context(runner, [], store);
    simulateCf(w, { argv: ['cf', 'target', '-o', 'org', '-s', 'important-space-and-all-databases'], writes: false });
    return { w, ctx };
  }

  it('reports the apps a deleted space took instead of failing, and rebinds only those present', async () => {
    const { ctx } = simulated();
    const out = await act('cf.check-apps').run(ctx, { apps: ['their-app', 'web'], missing: 'report' }, {});
    expect(out).toEqual({ apps: ['their-app'], missing: ['web'] });
    await expect(act('cf.check-apps').run(ctx, { apps: ['their-app', 'web'], missing: 'fail' }, {})).rejects.toThrow(
      'app(s) not found in the targeted space: web',
    );
  });

  it('create-space runs cf create-space NAME -o ORG, then reads the GUID of the space it targets', async () => {
    const calls: string[] = [];
    const answers: Record<string, string> = { 'space analytics --guid': `${SPACE_GUID}\n` };
    const runner: CommandRunner = {
      where: 'local',
      run: (spec) =>
        settled(() => {
          const args = spec.argv.slice(1).join(' ');
          calls.push(`${args}${spec.writes ? ' (writes)' : ''}`);
          if (args === 'version') return { exitCode: 0, stdout: 'cf version 6.26.0\n', stderr: '', durationMs: 1 };
          return { exitCode: 0, stdout: answers[args] ?? 'OK\n', stderr: '', durationMs: 1 };
        }),
    };
    const { ctx } = context(runner, [], store);
    expect(await act('cf.create-space').run(ctx, { org: 'acme', space: 'analytics' }, {})).toEqual({ spaceGuid: SPACE_GUID });
    expect(calls).toEqual(['create-space analytics -o acme (writes)', 'target -o acme -s analytics', 'space analytics --guid']);
  });

  it("create-space's probe finds an existing space by name in the org, with its GUID", async () => {
    const { ctx } = simulated();
    const createSpace = act('cf.create-space');
    const probe = (c: StepContext, p: Record<string, unknown>, plan: Record<string, unknown>) => createSpace.probe!(c, p, plan);
    expect(await probe(ctx, { org: 'org', space: 'important-space-and-all-databases' }, {})).toMatchObject({
      done: true,
      outputs: { spaceGuid: SPACE_GUID },
    });
    expect(await probe(ctx, { org: 'org', space: 'analytics' }, {})).toMatchObject({ done: false });
  });
});

describe('how many nodes a recovered instance of the space comes back with', () => {
  const seen = (n: number, removedAtDeletion = 0): ClusterSize => ({ seen: n, recorded: null, removedAtDeletion });
  const recorded = (nodes: number, n: number): ClusterSize => ({
    seen: n,
    recorded: { nodes, evidence: { line: 'l', source: 's', why: 'w' } },
    removedAtDeletion: n,
  });

  it("takes the nodes the logs show it ran; with lines missing, never fewer than its plan's", () => {
    expect(nodesToGrowTo(seen(1), 'cluster', 'solo')).toBe(2);
    expect(nodesToGrowTo(seen(0), 'cluster', 'solo')).toBe(2);
    expect(nodesToGrowTo(seen(3), 'cluster', 'solo')).toBe(3);
    expect(nodesToGrowTo(seen(1), 'solo', 'solo')).toBe(1);
    expect(nodesToGrowTo(seen(2), 'single', 'single')).toBe(2);
    expect(nodesToGrowTo(seen(2), undefined, 'solo')).toBe(2);
    expect(nodesToGrowTo(seen(0), undefined, 'solo')).toBeNull();
    expect(nodesToGrowTo(undefined, 'cluster', 'solo')).toBe(2);
  });

  it('takes the size the broker recorded, and a deletion that removed every node by name, over the plan', () => {
    // The March 2016 broker made one node without node-count: its deletion removed that one.
    expect(nodesToGrowTo(seen(1, 1), 'cluster', 'solo')).toBe(1);
    expect(nodesToGrowTo(recorded(1, 1), 'cluster', 'solo')).toBe(1);
    expect(nodesToGrowTo(recorded(3, 0), 'cluster', 'solo')).toBe(3);
    // Never fewer than the nodes the logs name.
    expect(nodesToGrowTo(recorded(1, 2), 'cluster', 'solo')).toBe(2);
  });
});
