import { describe, expect, it } from 'vitest';
import { listSourceAndTarget } from '../../src/archive/copy.js';
import { StepFailed } from '../../src/core/errors.js';
import type { ObjectInfo, ObjectStore } from '../../src/core/seams.js';
import { BUCKET, PREFIX } from '../support/archive-builder.js';
import { TestStore } from '../support/memory-store.js';

const OLD = PREFIX;
const NEW = 'backups/ca5a7d15-0000-4000-8000-000000000001/wal/';
const at = new Date('2026-03-17T02:11:47Z');

/** A store whose listings of the source wait until the target's has begun: a listing of one after the other never ends. */
function gatedStore(inner: TestStore, failTarget = false): ObjectStore {
  let targetBegun!: () => void;
  const begun = new Promise<void>((r) => (targetBegun = r));
  let guard: NodeJS.Timeout | undefined;
  const alone = new Promise<never>((_, reject) => {
    guard = setTimeout(() => {
      reject(new Error('the source was listed alone: the target listing had not begun'));
    }, 10_000);
  });
  return {
    where: inner.where,
    async *list(bucket, prefix) {
      if (prefix.startsWith(NEW)) {
        targetBegun();
        if (failTarget) throw new Error('AccessDenied: listing the target');
      } else {
        await Promise.race([begun, alone]);
        clearTimeout(guard);
      }
      yield* inner.list(bucket, prefix);
    },
    head: (r) => inner.head(r),
    get: (r) => inner.get(r),
    getStream: (r) => inner.getStream(r),
    put: (r, body) => inner.put(r, body),
    copy: (from, to) => inner.copy(from, to),
    deleteMany: (b, keys) => inner.deleteMany(b, keys),
  };
}

function both(): TestStore {
  const store = new TestStore(BUCKET);
  store.add(`${OLD}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt`, 'PostgreSQL 9.5.1', at);
  store.add(`${OLD}wal_005/000000010000000000000002.lzo`, 16_000, at);
  store.add(`${NEW}wal_005/000000010000000000000001.lzo`, 16_000, at);
  return store;
}

describe('listSourceAndTarget', () => {
  it('lists the target while the source is listed, and returns both', async () => {
    const { source, target } = await listSourceAndTarget(
      gatedStore(both()),
      { bucket: BUCKET, prefix: OLD },
      { bucket: BUCKET, prefix: NEW },
    );
    expect([...source.keys()].sort()).toEqual([
      'basebackups_005/base_000000010000000000000002_00000040/extended_version.txt',
      'wal_005/000000010000000000000002.lzo',
    ]);
    expect([...target.keys()]).toEqual(['wal_005/000000010000000000000001.lzo']);
  });

  it("reports the source's failure when both listings fail", async () => {
    const store = new TestStore(BUCKET);
    const failed = await listSourceAndTarget(
      gatedStore(store, true),
      { bucket: BUCKET, prefix: OLD },
      { bucket: BUCKET, prefix: NEW },
    ).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StepFailed);
    expect((failed as Error).message).toContain('holds no objects');
  });

  it('lists only the target when the source listing is given', async () => {
    const inner = both();
    const wal = { key: `${OLD}wal_005/000000010000000000000002.lzo`, size: 16_000, etag: '"a"', lastModified: at };
    const given = new Map<string, ObjectInfo>([['wal_005/000000010000000000000002.lzo', wal]]);
    const { source, target } = await listSourceAndTarget(inner, { bucket: BUCKET, prefix: OLD }, { bucket: BUCKET, prefix: NEW }, given);
    expect(source).toBe(given);
    expect(target.size).toBe(1);
    expect(inner.listCalls.every((p) => p.startsWith(NEW))).toBe(true);
  });

  it('refuses a given source listing that is empty or holds no wal-e archive, as one it makes', async () => {
    const to = { bucket: BUCKET, prefix: NEW };
    const refusal = (given: Map<string, ObjectInfo>) =>
      listSourceAndTarget(both(), { bucket: BUCKET, prefix: OLD }, to, given).catch((e: unknown) => e);
    const empty = await refusal(new Map());
    expect(empty).toBeInstanceOf(StepFailed);
    expect((empty as Error).message).toContain('holds no objects');
    const notes = { key: `${OLD}notes.txt`, size: 3, etag: '"b"', lastModified: at };
    const notWale = await refusal(new Map([['notes.txt', notes]]));
    expect((notWale as Error).message).toContain('holds 1 object(s) but no basebackups_005/ or wal_005/: it is not a wal-e archive');
  });
});
