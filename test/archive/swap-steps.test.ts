/**
 * The swap as the runbook runs it: archive.inspect, archive.quarantine (prepare, run, probe),
 * archive.copy and archive.verify, each a phase of the swap (src/archive/phases.ts), against a
 * real S3 (moto) and a simulated cell whose container is stopped. The plan goes through JSON
 * between prepare and run, as it does through the journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveActions } from '../../src/actions/archive.js';
import { StepFailed } from '../../src/core/errors.js';
import type { ObjectStore } from '../../src/core/seams.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { prepareSwap, runSwap } from '../../src/archive/swap.js';
import { startMoto, type Moto } from '../support/moto.js';
import { fingerprint, seedArchive, sentinelOrder } from '../support/archive-fixture.js';
import { simRunner } from '../support/sim-runner.js';
import { CONTAINER, sampleCell } from '../support/sample-cell.js';
import { testRuntime } from '../support/runtime.js';

const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW = 'backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/';
const STAMP = '20260317T180520Z';
const Q = `backups/78218ded-7d88-4d69-bd44-6f478c300134/wal.quarantine-${STAMP}/`;
const CELL = '10.58.111.150';

let moto: Moto;
let buckets = 0;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});

async function seeded(): Promise<string> {
  const bucket = `steps-${++buckets}-${process.pid}`;
  await moto.createBucket(bucket);
  await seedArchive(moto.store, bucket, NEW, { segments: 3, backups: ['base_000000010000000000000002_00000028'], sysid: '2' });
  await seedArchive(moto.store, bucket, OLD, {
    segments: 10,
    backups: ['base_000000010000000000000004_00000040', 'base_000000010000000000000002_00000040'],
    sysid: '1',
  });
  return bucket;
}

/** The store, counting the listings of each prefix. */
function counting(): { store: ObjectStore; listed: string[] } {
  const listed: string[] = [];
  const s = moto.store;
  const store: ObjectStore = {
    where: s.where,
    list: (b, prefix, opts?: { startAfter?: string }) => {
      if (!opts?.startAfter) listed.push(prefix);
      return (s.list as (b: string, p: string, o?: { startAfter?: string }) => AsyncIterable<never>)(b, prefix, opts);
    },
    head: (r) => s.head(r),
    get: (r) => s.get(r),
    getStream: (r) => s.getStream(r),
    put: (r, body) => s.put(r, body),
    copy: (from, to, size) => s.copy(from, to, size),
    deleteMany: (b, keys) => s.deleteMany(b, keys),
  };
  return { store, listed };
}

/** A step context on S3 and a cell whose new container is stopped, as the runbook leaves it. */
function context(store: ObjectStore): StepContext {
  const cell = sampleCell();
  cell.containers[CONTAINER]!.running = false;
  const runner = simRunner(cell);
  return {
    s3: store,
    settings: { ...DEFAULT_SETTINGS, copyConcurrency: 4 },
    now: () => new Date('2026-03-17T18:05:20Z'),
    cell: () =>
      Promise.resolve({
        where: runner.where,
        run: (spec: Parameters<typeof runner.run>[0]) => runner.run(spec),
        etcd: () => Promise.reject(new Error('no etcd')),
        close: async () => {},
      }),
    note: () => undefined,
    evidence: () => undefined,
    progress: () => undefined,
    runtime: testRuntime(),
  } as unknown as StepContext;
}

const step = (name: string) => archiveActions.find((a) => a.name === name)!;
const journaled = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("the runbook's archive steps", () => {
  it('swap as runSwap does: the same plan, the target moved aside, the source copied in with LATEST kept', async () => {
    const bucket = await seeded();
    const { store, listed } = counting();
    const ctx = context(store);
    const from = `s3://${bucket}/${OLD}`;
    const to = `s3://${bucket}/${NEW}`;
    const source = await fingerprint(moto.store, bucket, OLD);
    const original = await fingerprint(moto.store, bucket, NEW);
    const container = { cellIp: CELL, container: CONTAINER };

    const inspected = await step('archive.inspect').run(ctx, { url: from, requireRestorable: false }, {});
    // The seeded archives carry no backup labels: only the fingerprint matters here.
    expect(inspected.fingerprint).toMatch(/^sha256:/);

    const quarantine = step('archive.quarantine');
    const params = { url: to, from, ...container };
    const plan = journaled(await quarantine.prepare!(ctx, params));
    const swapPlan = (await prepareSwap(moto.store, from, to, { stamp: STAMP })).plan;
    expect(plan).toEqual(journaled(swapPlan));
    expect(await quarantine.probe!(ctx, params, plan)).toMatchObject({ done: false });
    expect(await quarantine.run(ctx, params, plan)).toEqual({ quarantineUrl: `s3://${bucket}/${Q}`, moved: Object.keys(original).length });
    expect(await quarantine.probe!(ctx, params, plan)).toMatchObject({
      done: true,
      outputs: { quarantineUrl: `s3://${bucket}/${Q}`, moved: Object.keys(original).length },
    });

    listed.length = 0;
    const copied = await step('archive.copy').run(ctx, { from, to, fingerprint: inspected.fingerprint, ...container }, {});
    expect(copied).toEqual({ copied: Object.keys(source).length, skipped: 0 });
    // The source is listed once: the fingerprint check and the copy share the listing.
    expect(listed.filter((p) => p === OLD)).toHaveLength(1);
    expect(await step('archive.verify').run(ctx, { from, to }, {})).toEqual({ identical: true });

    expect(await fingerprint(moto.store, bucket, NEW)).toEqual(source);
    expect(await fingerprint(moto.store, bucket, Q)).toEqual(original);
    expect(await fingerprint(moto.store, bucket, OLD)).toEqual(source);
    expect(await sentinelOrder(moto.store, bucket, NEW)).toEqual({
      keys: (await sentinelOrder(moto.store, bucket, OLD)).keys,
      strict: true,
    });

    // runSwap, through the same phases, on a bucket seeded alike, ends the same way.
    const other = await seeded();
    const report = await runSwap(moto.store, { bucket: other, prefix: OLD }, { bucket: other, prefix: NEW }, { stamp: STAMP });
    expect(report.quarantine.objects).toBe(Object.keys(original).length);
    expect(await fingerprint(moto.store, other, NEW)).toEqual(source);
    expect(await fingerprint(moto.store, other, Q)).toEqual(original);
  });

  it('copy refuses a source that changed since it was inspected, and verify names what differs', async () => {
    const bucket = await seeded();
    const ctx = context(moto.store);
    const from = `s3://${bucket}/${OLD}`;
    const to = `s3://${bucket}/${NEW}`;
    const inspected = await step('archive.inspect').run(ctx, { url: from, requireRestorable: false }, {});
    await moto.store.put({ bucket, key: `${OLD}wal_005/000000010000000000000099.lzo` }, 'late');
    const before = await fingerprint(moto.store, bucket, NEW);

    const err = await step('archive.copy')
      .run(ctx, { from, to, fingerprint: inspected.fingerprint, cellIp: CELL, container: CONTAINER }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toContain('changed since it was inspected');
    expect(await fingerprint(moto.store, bucket, NEW)).toEqual(before);

    const verified = await step('archive.verify')
      .run(ctx, { from, to }, {})
      .catch((e: unknown) => e);
    expect(verified).toBeInstanceOf(StepFailed);
    expect((verified as StepFailed).message).toMatch(
      new RegExp(`s3://${bucket}/${NEW} does not match s3://${bucket}/${OLD}: missing .*different`),
    );
  });

  it('the quarantine step resumes from its journaled plan after a partial move, and the probe sees it through', async () => {
    const bucket = await seeded();
    const ctx = context(moto.store);
    const params = { url: `s3://${bucket}/${NEW}`, from: `s3://${bucket}/${OLD}`, cellIp: CELL, container: CONTAINER };
    const quarantine = step('archive.quarantine');
    const plan = journaled(await quarantine.prepare!(ctx, params));
    const objects = plan.objects as { key: string; size: number }[];
    // An interrupted attempt: two objects copied into the quarantine, nothing deleted yet.
    for (const o of objects.slice(0, 2))
      await moto.store.copy({ bucket, key: o.key }, { bucket, key: Q + o.key.slice(NEW.length) }, o.size);
    // An object that arrives after the plan is not the quarantine's to move.
    await moto.store.put({ bucket, key: `${NEW}wal_005/0000000100000000000000AA.lzo` }, 'after the plan');
    const probed = await quarantine.probe!(ctx, params, plan);
    expect(probed).toMatchObject({ done: false });
    expect(probed.why).toContain(`${objects.length - 2} not yet copied, ${objects.length} not yet deleted`);

    await quarantine.run(ctx, params, plan);
    expect(await quarantine.probe!(ctx, params, plan)).toMatchObject({ done: true });
    expect(Object.keys(await fingerprint(moto.store, bucket, NEW))).toEqual(['wal_005/0000000100000000000000AA.lzo']);
    expect(Object.keys(await fingerprint(moto.store, bucket, Q))).toHaveLength(objects.length);
  });
});
