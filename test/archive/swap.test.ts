import { Redactor } from '../../src/core/redact.js';
import { describe, expect, it } from 'vitest';
import { useProxiedMoto } from '../support/proxied-moto.js';
import { createS3Store } from '../../src/systems/s3/index.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { copyArchive, formatProgress, quarantine, runSwap, verifyCopy, type ProgressEvent } from '../../src/archive/swap.js';
import { StepFailed, UsageError } from '../../src/core/errors.js';
import { fingerprint, listRelative, putAll, seedArchive, sentinelOrder } from '../support/archive-fixture.js';

const s3 = useProxiedMoto('swap');

const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW = 'backups/ca5a7d15-0000-4000-8000-000000000001/wal/';
const STAMP = '20260317T180520Z';
const Q = `backups/ca5a7d15-0000-4000-8000-000000000001/wal.quarantine-${STAMP}/`;
// Created in this order: the LATEST backup is the one whose name sorts first.
const OLD_BACKUPS = ['base_000000010000000000000004_00000040', 'base_000000010000000000000002_00000040'];

/** Old archive (two backups) and the new instance's small archive, in one bucket. */
async function seedBoth(bucket: string, segments = 12): Promise<void> {
  await seedArchive(s3.moto.store, bucket, NEW, {
    segments: 2,
    backups: ['base_000000010000000000000002_00000028'],
    sysid: '6262323410585460999',
  });
  await seedArchive(s3.moto.store, bucket, OLD, { segments, backups: OLD_BACKUPS, sysid: '6262323410585460850' });
}

describe('runSwap', () => {
  it('quarantines the target, copies the source in, and verifies; the source is untouched', async () => {
    const bucket = await s3.bucket();
    await seedBoth(bucket);
    const source = await fingerprint(s3.moto.store, bucket, OLD);
    const original = await fingerprint(s3.moto.store, bucket, NEW);
    const events: ProgressEvent[] = [];
    const plans: unknown[] = [];

    const report = await runSwap(
      s3.moto.store,
      { bucket, prefix: OLD },
      { bucket, prefix: NEW.slice(0, -1) },
      {
        redactor: new Redactor(),
        stamp: STAMP,
        concurrency: 4,
        onPlan: (p) => void plans.push(p),
        onProgress: (e) => events.push(e),
      },
    );

    expect(await fingerprint(s3.moto.store, bucket, NEW)).toEqual(source);
    expect(await fingerprint(s3.moto.store, bucket, Q)).toEqual(original);
    expect(await fingerprint(s3.moto.store, bucket, OLD)).toEqual(source);
    expect(report.quarantine).toMatchObject({
      objects: Object.keys(original).length,
      copied: Object.keys(original).length,
      deleted: Object.keys(original).length,
    });
    expect(report.copy).toMatchObject({ objects: Object.keys(source).length, copied: Object.keys(source).length, skipped: 0 });
    expect(report.verify).toEqual({ ok: true, missing: [], different: [], extra: [], servedPartials: [] });
    expect(plans).toHaveLength(1);

    // LATEST (newest sentinel) at the target names the same backup as at the source.
    const src = await sentinelOrder(s3.moto.store, bucket, OLD);
    const tgt = await sentinelOrder(s3.moto.store, bucket, NEW);
    expect(src.keys).toEqual(OLD_BACKUPS.map((b) => `basebackups_005/${b}_backup_stop_sentinel.json`));
    expect(tgt).toEqual({ keys: src.keys, strict: true });
    expect(report.copy.sentinels).toEqual(src.keys);

    const lastCopy = events.filter((e) => e.phase === 'copy').at(-1)!;
    expect(lastCopy.objectsDone).toBe(lastCopy.objectsTotal);
    expect(lastCopy.bytesDone).toBe(lastCopy.bytesTotal);
    expect(lastCopy.etaSeconds).toBe(0);
    expect(new Set(events.map((e) => e.phase))).toEqual(
      new Set(['quarantine-copy', 'quarantine-verify', 'quarantine-delete', 'copy', 'copy-sentinels']),
    );

    // A second copy finds everything in place.
    const again = await copyArchive(s3.moto.store, { bucket, prefix: OLD }, { bucket, prefix: NEW });
    expect(again).toMatchObject({ copied: 0, skipped: Object.keys(source).length });
  });

  it('lists the source once for the whole swap, and again once when the swap runs anew', async () => {
    const listed: string[] = [];
    const store: ObjectStore = {
      where: s3.moto.store.where,
      list: (b, prefix) => (listed.push(prefix), s3.moto.store.list(b, prefix)),
      head: (r) => s3.moto.store.head(r),
      get: (r) => s3.moto.store.get(r),
      getStream: (r) => s3.moto.store.getStream(r),
      put: (r, body) => s3.moto.store.put(r, body),
      copy: (from, to, size) => s3.moto.store.copy(from, to, size),
      deleteMany: (b, keys) => s3.moto.store.deleteMany(b, keys),
    };
    const bucket = await s3.bucket();
    await seedBoth(bucket);
    await runSwap(store, { bucket, prefix: OLD }, { bucket, prefix: NEW }, { redactor: new Redactor(), stamp: STAMP });
    expect(listed.filter((p) => p === OLD)).toHaveLength(1);
    listed.length = 0;
    const again = await s3.bucket();
    await seedBoth(again);
    await runSwap(store, { bucket: again, prefix: OLD }, { bucket: again, prefix: NEW }, { redactor: new Redactor(), stamp: STAMP });
    expect(listed.filter((p) => p === OLD)).toHaveLength(1);
    expect(await verifyCopy(s3.moto.store, { bucket: again, prefix: OLD }, { bucket: again, prefix: NEW })).toMatchObject({ ok: true });
  });

  it('refuses an empty or mistyped source and overlapping prefixes, writing nothing', async () => {
    const bucket = await s3.bucket();
    await seedArchive(s3.moto.store, bucket, NEW, { segments: 2, backups: ['base_000000010000000000000002_00000028'], sysid: '1' });
    await putAll(s3.moto.store, bucket, [['backups/other/notes.txt', 'not an archive']]);
    const before = await fingerprint(s3.moto.store, bucket, '');

    const refusal = (from: string, to = NEW): Promise<unknown> =>
      runSwap(s3.moto.store, { bucket, prefix: from }, { bucket, prefix: to }, { redactor: new Redactor(), stamp: STAMP }).catch(
        (e: unknown) => e,
      );
    const empty = await refusal('backups/00000000-dead/wal/');
    expect(empty).toBeInstanceOf(StepFailed);
    expect((empty as Error).message).toBe(
      `the source s3://${bucket}/backups/00000000-dead/wal/ holds no objects at ${s3.moto.store.where}: nothing to copy, nothing was written`,
    );

    // "wa" instead of "wal": as a folder it holds nothing (and never matches wal.quarantine-…).
    const typo = await refusal(OLD.replace('/wal/', '/wa'));
    expect((typo as Error).message).toContain('holds no objects');

    const notWale = await refusal('backups/other');
    expect((notWale as Error).message).toContain('is not a wal-e archive');

    const inside = await refusal(NEW, `${NEW}wal_005`);
    expect(inside).toBeInstanceOf(UsageError);
    expect((inside as Error).message).toContain('overlaps the source archive');

    const whole = await copyArchive(s3.moto.store, { bucket, prefix: NEW }, { bucket, prefix: '/' }).catch((e: unknown) => e);
    expect((whole as Error).message).toContain('has no prefix');

    expect(await fingerprint(s3.moto.store, bucket, '')).toEqual(before);
  });

  it('retries injected 503 SlowDown and 500 errors and completes', async () => {
    const bucket = await s3.bucket();
    await seedBoth(bucket);
    const source = await fingerprint(s3.moto.store, bucket, OLD);
    const original = await fingerprint(s3.moto.store, bucket, NEW);
    const store = createS3Store({ ...s3.moto.options, endpoint: s3.proxy.endpoint, maxAttempts: 5 });
    s3.proxy.clear();
    const before = s3.proxy.injected;
    s3.proxy.inject({ method: 'PUT', header: 'x-amz-copy-source', status: 503, skip: 2, times: 3 });
    s3.proxy.inject({ method: 'PUT', header: 'x-amz-copy-source', status: 500, skip: 6, times: 2 });
    s3.proxy.inject({ method: 'GET', path: /list-type=2/, status: 503, skip: 1, times: 1 });
    s3.proxy.inject({ method: 'POST', path: /\?delete/, status: 500, times: 1 });

    await runSwap(store, { bucket, prefix: OLD }, { bucket, prefix: NEW }, { redactor: new Redactor(), stamp: STAMP, concurrency: 4 });
    s3.proxy.clear();

    expect(s3.proxy.injected - before).toBe(7);
    expect(await fingerprint(s3.moto.store, bucket, NEW)).toEqual(source);
    expect(await fingerprint(s3.moto.store, bucket, Q)).toEqual(original);
  });

  it('stops with the access-denied message and deletes nothing', async () => {
    const bucket = await s3.bucket();
    await seedBoth(bucket, 3);
    const original = await fingerprint(s3.moto.store, bucket, NEW);
    const store = createS3Store({ ...s3.moto.options, endpoint: s3.proxy.endpoint, maxAttempts: 2 });
    s3.proxy.clear();
    s3.proxy.inject({ method: 'PUT', header: 'x-amz-copy-source', status: 403, skip: 1, times: Infinity });
    const err = await runSwap(
      store,
      { bucket, prefix: OLD },
      { bucket, prefix: NEW },
      { redactor: new Redactor(), stamp: STAMP, concurrency: 2 },
    ).catch((e: unknown) => e);
    s3.proxy.clear();
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^access denied to s3://${bucket}/${Q.replace(/\./g, '\\.')}\\S+: check the AWS credentials/policy \\(s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject\\)$`,
      ),
    );
    expect(await fingerprint(s3.moto.store, bucket, NEW)).toEqual(original);
  });
});

describe('quarantine', () => {
  it('resumes from its plan after a failed delete, ignoring objects that arrived later', async () => {
    const bucket = await s3.bucket();
    await seedArchive(s3.moto.store, bucket, NEW, { segments: 4, backups: ['base_000000010000000000000002_00000028'], sysid: '7' });
    const original = await fingerprint(s3.moto.store, bucket, NEW);
    const plan = [...(await listRelative(s3.moto.store, bucket, NEW)).values()];
    const store = createS3Store({ ...s3.moto.options, endpoint: s3.proxy.endpoint, maxAttempts: 1 });
    s3.proxy.clear();
    s3.proxy.inject({ method: 'POST', path: /\?delete/, status: 500, times: 1 });
    const failed = await quarantine(store, { bucket, prefix: NEW }, { stamp: STAMP, plan }).catch((e: unknown) => e);
    s3.proxy.clear();
    expect(failed).toBeInstanceOf(StepFailed);
    expect(await fingerprint(s3.moto.store, bucket, Q)).toEqual(original);

    // The container archived one more segment before it was stopped: not in the plan.
    await putAll(s3.moto.store, bucket, [[`${NEW}wal_005/000000010000000000000009.lzo`, 'late']]);
    const resumed = await quarantine(s3.moto.store, { bucket, prefix: NEW }, { stamp: STAMP, plan });
    expect(resumed).toMatchObject({ objects: plan.length, copied: 0, alreadyQuarantined: plan.length, deleted: plan.length });
    expect(await fingerprint(s3.moto.store, bucket, Q)).toEqual(original);
    expect(Object.keys(await fingerprint(s3.moto.store, bucket, NEW))).toEqual(['wal_005/000000010000000000000009.lzo']);

    // And once more: everything is done, nothing to delete.
    const third = await quarantine(s3.moto.store, { bucket, prefix: NEW }, { stamp: STAMP, plan });
    expect(third).toMatchObject({ copied: 0, deleted: 0, alreadyQuarantined: plan.length });
  });

  it('stops when a planned object changed or vanished without being quarantined', async () => {
    const bucket = await s3.bucket();
    await putAll(s3.moto.store, bucket, [
      [`${NEW}sysids/sysid`, 'A'],
      [`${NEW}wal_005/000000010000000000000001.lzo`, 'B'],
    ]);
    const plan = [...(await listRelative(s3.moto.store, bucket, NEW)).values()];
    await putAll(s3.moto.store, bucket, [[`${NEW}sysids/sysid`, 'changed']]);
    const changed = await quarantine(s3.moto.store, { bucket, prefix: NEW }, { stamp: STAMP, plan }).catch((e: unknown) => e);
    expect((changed as Error).message).toContain('changed since the plan was made');
    await s3.moto.store.deleteMany(bucket, [`${NEW}sysids/sysid`]);
    const gone = await quarantine(s3.moto.store, { bucket, prefix: NEW }, { stamp: STAMP, plan }).catch((e: unknown) => e);
    expect((gone as Error).message).toContain('are gone from');
    expect(await fingerprint(s3.moto.store, bucket, Q)).toEqual({});
  });
});

describe('multipart objects', () => {
  it('copies above the threshold with UploadPartCopy and verifies despite different ETag forms', async () => {
    const bucket = await s3.bucket();
    const big = Buffer.alloc(11 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 512) big.writeUInt32BE(i, i);
    await seedArchive(s3.moto.store, bucket, OLD, {
      segments: 2,
      backups: ['base_000000010000000000000002_00000040'],
      sysid: '5',
      extra: { 'basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000001.tar.lzo': big },
    });
    const store = createS3Store({ ...s3.moto.options, multipartCopyThreshold: 5 * 1024 * 1024, multipartPartSize: 5 * 1024 * 1024 });
    const result = await copyArchive(store, { bucket, prefix: OLD }, { bucket, prefix: NEW });
    expect(result.copied).toBe(result.objects);
    const copied = (await listRelative(s3.moto.store, bucket, NEW)).get(
      'basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000001.tar.lzo',
    )!;
    expect(copied.etag).toMatch(/-3$/);
    expect(await verifyCopy(s3.moto.store, { bucket, prefix: OLD }, { bucket, prefix: NEW })).toEqual({
      ok: true,
      missing: [],
      different: [],
      extra: [],
      servedPartials: [],
    });
    // Rerun: the multipart copy is recognised as in place.
    expect(await copyArchive(store, { bucket, prefix: OLD }, { bucket, prefix: NEW })).toMatchObject({ copied: 0 });

    // Same size, different bytes: the sampled comparison tells them apart.
    const other = Buffer.from(big);
    other.writeUInt32BE(0xdeadbeef, 4);
    const key = `${NEW}basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000001.tar.lzo`;
    await s3.moto.store.put({ bucket, key: `${NEW}tmp` }, other);
    await store.copy({ bucket, key: `${NEW}tmp` }, { bucket, key }, other.length);
    await s3.moto.store.deleteMany(bucket, [`${NEW}tmp`]);
    const v = await verifyCopy(s3.moto.store, { bucket, prefix: OLD }, { bucket, prefix: NEW });
    expect(v.different).toEqual(['basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000001.tar.lzo']);
  });
});

describe('swap progress', () => {
  it('runs quarantine, copy and verify, showing objects, bytes, rate and ETA', async () => {
    const bucket = await s3.bucket();
    await seedArchive(s3.moto.store, bucket, NEW, { segments: 2, backups: ['base_000000010000000000000002_00000028'], sysid: '9' });
    await seedArchive(s3.moto.store, bucket, OLD, { segments: 20, backups: ['base_000000010000000000000002_00000040'], sysid: '8' });
    const source = await fingerprint(s3.moto.store, bucket, OLD);
    const outputs: string[] = [];
    const report = await runSwap(
      s3.moto.store,
      { bucket, prefix: OLD },
      { bucket, prefix: NEW },
      {
        redactor: new Redactor(),
        stamp: STAMP,
        onProgress: (e) => outputs.push(formatProgress(e)),
      },
    );
    expect(report.verify.ok).toBe(true);
    expect(report.quarantine.quarantine).toBe(`s3://${bucket}/${Q}`);
    expect(report.quarantine.objects).toBe(6);
    expect(report.copy.copied).toBe(24);
    expect(report.copy.skipped).toBe(0);
    expect(outputs.at(-1)).toMatch(/^copy-sentinels: 1\/1 objects, \d+ B\/\d+ B, [\d.]+ (B|KiB|MiB)\/s, ETA 0s$/);
    expect(await fingerprint(s3.moto.store, bucket, NEW)).toEqual(source);
  });

  it('formats progress for people', () => {
    expect(
      formatProgress({
        phase: 'copy',
        objectsDone: 10,
        objectsTotal: 40,
        bytesDone: 3 * 1024 ** 3,
        bytesTotal: 12 * 1024 ** 3,
        rate: 50 * 1024 ** 2,
        etaSeconds: 185,
      }),
    ).toBe('copy: 10/40 objects, 3.0 GiB/12.0 GiB, 50.0 MiB/s, ETA 3m5s');
  });
});
