import { Redactor } from '../../src/core/redact.js';
/**
 * The swap as the runbook runs it: archive.inspect, archive.quarantine (prepare, run, probe),
 * archive.copy and archive.verify, each a phase of the swap (src/archive/phases.ts), against a
 * real S3 (moto) and a simulated cell whose container is stopped. The plan goes through JSON
 * between prepare and run, as it does through the journal. The copy serves a checked `.partial`
 * under its segment's full name at the new prefix: the partial is the partial-wal scenario's.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveActions } from '../../src/actions/archive.js';
import { StepFailed } from '../../src/core/errors.js';
import type { ObjectRef, ObjectStore } from '../../src/core/seams.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { listArchive, prepareSwap, runSwap } from '../../src/archive/swap.js';
import { inspectListing } from '../../src/archive/inspect.js';
import { startMoto, type Moto } from '../support/moto.js';
import { fingerprint, seedArchive, sentinelOrder } from '../support/archive-fixture.js';
import { simRunner } from '../support/sim-runner.js';
import { CONTAINER, sampleCell } from '../support/sample-cell.js';
import { testRuntime } from '../support/runtime.js';
import { recordingStore } from '../support/recording-store.js';

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
    expect(copied).toEqual({
      copied: Object.keys(source).length,
      skipped: 0,
      servedPartials: [],
      servedMomentAt: '',
      servedMomentSource: '',
    });
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
    const report = await runSwap(
      moto.store,
      { bucket: other, prefix: OLD },
      { bucket: other, prefix: NEW },
      { redactor: new Redactor(), stamp: STAMP },
    );
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

describe("the copy step serves the old archive's checked .partial to wal-e", () => {
  const SYSID = '6262209914512345093';
  const PARTIAL = 'wal_005/000000010000000000000006.partial.lzo';
  const FULL = 'wal_005/000000010000000000000006.lzo';
  const body = readFileSync(resolve(import.meta.dirname, '../../fixtures/partial-wal/archive/000000010000000000000006.partial.lzo'));

  /** The segment the partial holds, as PostgreSQL wrote it (the fixture decompressed by the real lzop). */
  const wal = execFileSync('lzop', ['-dc'], { input: body, maxBuffer: 64 << 20 });

  /** Both archives in a new bucket, the old one ending with `partials` (key → body). */
  async function seededWith(partials: Record<string, Buffer>): Promise<string> {
    const bucket = `partial-${++buckets}-${process.pid}`;
    await moto.createBucket(bucket);
    await seedArchive(moto.store, bucket, NEW, { segments: 3, backups: ['base_000000010000000000000002_00000028'], sysid: '2' });
    await seedArchive(moto.store, bucket, OLD, {
      segments: 5,
      backups: ['base_000000010000000000000002_00000040'],
      sysid: SYSID,
      extra: partials,
    });
    return bucket;
  }

  /** Both archives, the new one moved aside: the copy step is next, as in the runbook. */
  async function swapped(partials: Record<string, Buffer> = { [PARTIAL]: body }): Promise<{
    bucket: string;
    from: string;
    to: string;
    fingerprint: string;
    ctx: StepContext;
    said: string[];
    warned: string[];
  }> {
    const bucket = await seededWith(partials);
    const said: string[] = [];
    const warned: string[] = [];
    const ctx = { ...context(moto.store), evidence: (e: string) => said.push(e), warn: (w: string) => warned.push(w) } as StepContext;
    const from = `s3://${bucket}/${OLD}`;
    const to = `s3://${bucket}/${NEW}`;
    const inspected = await step('archive.inspect').run(ctx, { url: from, requireRestorable: false }, {});
    const params = { url: to, from, cellIp: CELL, container: CONTAINER };
    const quarantine = step('archive.quarantine');
    await quarantine.run(ctx, params, journaled(await quarantine.prepare!(ctx, params)));
    said.length = 0;
    return { bucket, from, to, fingerprint: String(inspected.fingerprint), ctx, said, warned };
  }

  it('copies it server-side to its full key under the new prefix only, says so with its checks, and verify takes it', async () => {
    const { bucket, from, to, fingerprint: proven, ctx, said, warned } = await swapped();
    const old = await fingerprint(moto.store, bucket, OLD);
    const params = { from, to, fingerprint: proven, cellIp: CELL, container: CONTAINER };
    const copied = await step('archive.copy').run(ctx, params, {});
    expect(copied).toEqual({
      copied: Object.keys(old).length,
      skipped: 0,
      servedPartials: [`${to}${FULL}`],
      servedMomentAt: expect.stringMatching(/^\d{4}-/),
      servedMomentSource: `S3 LastModified of ${PARTIAL}, served as 000000010000000000000006`,
    });
    expect(said).toEqual([
      `${from}${PARTIAL} checked (system identifier ${SYSID} as the archive's, timeline 1 as its name's, the segment after the archive's last full one 000000010000000000000005): copied server-side to ${to}${FULL}, where the container's wal-e fetches 000000010000000000000006`,
    ]);
    expect(warned).toEqual([]);
    const now = await fingerprint(moto.store, bucket, NEW);
    expect(now[FULL]).toBe(old[PARTIAL]);
    expect(await moto.store.get({ bucket, key: NEW + FULL })).toEqual(body);
    // The old archive, the user's backup, is as it was: no full segment was written there.
    expect(await fingerprint(moto.store, bucket, OLD)).toEqual(old);
    expect(await step('archive.verify').run(ctx, { from, to }, {})).toEqual({ identical: true });
    expect(said.at(-1)).toBe(`target = source by key, size and ETag, and ${FULL} is the copy of its .partial, served under its full name`);
    expect(step('archive.copy').result!(copied)).toBe(
      `copied ${Object.keys(old).length} object(s), 0 already in place; served 000000010000000000000006.lzo from its checked .partial`,
    );
  });

  it.each([
    [
      PARTIAL,
      'not an lzop stream',
      'it is not an lzop stream (it does not start with the lzop magic bytes): it holds a WAL segment stored uncompressed, which wal-fetch could not decompress',
    ],
    [
      'wal_005/000000010000000000000006.partial',
      'stored without .lzo',
      "it is stored without .lzo: wal-e's wal-fetch reads WAL only as lzop-compressed .lzo objects, so it is never served and counts as no archived WAL. Its WAL checks out",
    ],
  ])('never serves a partial %s (%s), and warns of it naming the key and why', async (rel, _what, why) => {
    const { bucket, from, to, fingerprint: proven, ctx, said, warned } = await swapped({ [rel]: wal });
    const copied = await step('archive.copy').run(ctx, { from, to, fingerprint: proven, cellIp: CELL, container: CONTAINER }, {});
    expect(copied).toMatchObject({ servedPartials: [], servedMomentAt: '', servedMomentSource: '' });
    expect(warned).toHaveLength(1);
    const expected = `${from}${rel} was not served, so the restore ends before any WAL it holds: ${why}`;
    expect(warned[0]!.slice(0, expected.length)).toBe(expected);
    expect(said).toEqual([]);
    expect(await moto.store.head({ bucket, key: NEW + FULL })).toBeNull();
    // Copied in as an object of the old archive, as it is: only never under the segment's full name.
    expect((await moto.store.get({ bucket, key: NEW + rel })).equals(wal)).toBe(true);
    expect(await step('archive.verify').run(ctx, { from, to }, {})).toEqual({ identical: true });
  });

  it('runSwap, as `archive swap` runs it, serves the checked partial after the copy and reports a refused one', async () => {
    const RAW = 'wal_005/000000010000000000000006.partial';
    const bucket = await seededWith({ [PARTIAL]: body, [RAW]: wal });
    const old = await fingerprint(moto.store, bucket, OLD);
    const report = await runSwap(moto.store, { bucket, prefix: OLD }, { bucket, prefix: NEW }, { redactor: new Redactor(), stamp: STAMP });
    expect(report.partials).toEqual({
      served: [
        {
          from: `s3://${bucket}/${OLD}${PARTIAL}`,
          to: `s3://${bucket}/${NEW}${FULL}`,
          segment: '000000010000000000000006',
          checks: `system identifier ${SYSID} as the archive's, timeline 1 as its name's, the segment after the archive's last full one 000000010000000000000005`,
          lastModified: expect.stringMatching(/^\d{4}-/),
          copied: true,
        },
      ],
      refused: [
        {
          key: `${OLD}${RAW}`,
          why: "it is stored without .lzo: wal-e's wal-fetch reads WAL only as lzop-compressed .lzo objects, so it is never served and counts as no archived WAL; wal_005/000000010000000000000006.partial.lzo beside it is the one checked",
        },
      ],
    });
    expect(report.verify).toMatchObject({ ok: true, servedPartials: [FULL] });
    expect(await moto.store.get({ bucket, key: NEW + FULL })).toEqual(body);
    expect(await fingerprint(moto.store, bucket, OLD)).toEqual(old);
  });

  it('runSwap handed the checks made of its source listing reads no partial again, and still serves none changed since', async () => {
    const bucket = await seededWith({ [PARTIAL]: body });
    const from = { bucket, prefix: OLD };
    const source = await listArchive(moto.store, from);
    const checked = await inspectListing({
      bucket,
      prefix: OLD,
      objects: [...source.values()],
      read: (key) => moto.store.get({ bucket, key }),
      redactor: new Redactor(),
    });
    expect(checked.partials).toMatchObject([{ key: OLD + PARTIAL, usable: true }]);
    const { store, fetched } = recordingStore(moto.store);
    // The moment the swap looks at the full key, something rewrites the partial that was checked.
    Object.assign(store, {
      head: async (ref: ObjectRef) => {
        if (ref.key === NEW + FULL) await moto.store.put({ bucket, key: OLD + PARTIAL }, 'rewritten');
        return moto.store.head(ref);
      },
    });
    const err = await runSwap(store, from, { bucket, prefix: NEW }, { checked, source, stamp: STAMP }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toMatch(
      new RegExp(`^s3://${bucket}/${OLD}${PARTIAL} changed after it was checked \\(now 9 bytes, ETag .*\\): it was not served$`),
    );
    expect(fetched).not.toContain(OLD + PARTIAL);
    expect(await moto.store.head({ bucket, key: NEW + FULL })).toBeNull();
  });

  it('run again after the copy (a crash before the journal said so), takes the copy in place as served', async () => {
    const { bucket, from, to, fingerprint: proven, ctx, said } = await swapped();
    const params = { from, to, fingerprint: proven, cellIp: CELL, container: CONTAINER };
    const first = await step('archive.copy').run(ctx, params, {});
    const served = (await moto.store.head({ bucket, key: NEW + FULL }))!;
    said.length = 0;
    const again = await step('archive.copy').run(ctx, params, {});
    expect(again).toEqual({ ...first, copied: 0, skipped: first.copied });
    expect(said).toEqual([expect.stringContaining(`: its copy found already at ${to}${FULL}`)]);
    // Not written again.
    expect((await moto.store.head({ bucket, key: NEW + FULL }))!.lastModified).toEqual(served.lastModified);
  });

  it('serves nothing when the partial changed after it was checked (a writer in the old archive)', async () => {
    const { bucket, from, to, fingerprint: proven } = await swapped();
    // The moment the step looks at the full key, something rewrites the partial it has checked.
    const store: ObjectStore = {
      where: moto.store.where,
      head: async (ref) => {
        if (ref.key === NEW + FULL) await moto.store.put({ bucket, key: OLD + PARTIAL }, 'rewritten');
        return moto.store.head(ref);
      },
      list: (b, prefix, opts?: { startAfter?: string }) =>
        (moto.store.list as (b: string, p: string, o?: { startAfter?: string }) => AsyncIterable<never>)(b, prefix, opts),
      get: (r) => moto.store.get(r),
      getStream: (r) => moto.store.getStream(r),
      put: (r, body) => moto.store.put(r, body),
      copy: (a, b, size) => moto.store.copy(a, b, size),
      deleteMany: (b, keys) => moto.store.deleteMany(b, keys),
    };
    const err = await step('archive.copy')
      .run(context(store), { from, to, fingerprint: proven, cellIp: CELL, container: CONTAINER }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toMatch(
      new RegExp(`^${from}${PARTIAL} changed after it was checked \\(now 9 bytes, ETag .*\\): it was not served$`),
    );
    expect(await moto.store.head({ bucket, key: NEW + FULL })).toBeNull();
  });

  it('never overwrites another object at the full key: it stops, naming both and the commands, and deletes nothing', async () => {
    const { bucket, from, to, fingerprint: proven, ctx } = await swapped();
    await moto.store.put({ bucket, key: NEW + FULL }, 'a full segment someone else archived');
    const there = (await moto.store.head({ bucket, key: NEW + FULL }))!;
    const old = await fingerprint(moto.store, bucket, OLD);
    const err = await step('archive.copy')
      .run(ctx, { from, to, fingerprint: proven, cellIp: CELL, container: CONTAINER }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    const message = (err as StepFailed).message;
    expect(message).toContain(
      `${to}${FULL} already holds an object (${there.size} bytes, ETag ${there.etag}, written ${there.lastModified.toISOString()}) that is not a copy of the checked partial ${from}${PARTIAL}`,
    );
    expect(message).toContain('a full segment is never overwritten, so the partial was not served');
    expect(message).toContain(`aws s3 ls ${to}${FULL} must print nothing, then aws s3 cp ${from}${PARTIAL} ${to}${FULL}`);
    expect((err as StepFailed).hint).toContain(`aws s3 mv ${to}${FULL} ${to}${FULL}.aside`);
    expect(await moto.store.get({ bucket, key: NEW + FULL })).toEqual(Buffer.from('a full segment someone else archived'));
    expect(await fingerprint(moto.store, bucket, OLD)).toEqual(old);
    // The rest of the archive was copied in; verify names the object that is not the partial's copy.
    const verified = await step('archive.verify')
      .run(ctx, { from, to }, {})
      .catch((e: unknown) => e);
    expect((verified as StepFailed).message).toContain(`extra ${FULL}`);
  });
});
