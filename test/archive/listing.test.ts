import { describe, expect, it } from 'vitest';
import { listArchive } from '../../src/archive/listing.js';
import { quarantine } from '../../src/archive/quarantine.js';
import { TestStore } from '../support/memory-store.js';
import { archiveEntries, sentinelEntry } from '../support/archive-fixture.js';

const BUCKET = 'our-postgresql-backups';
const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW = 'backups/ca5a7d15-0000-4000-8000-000000000001/wal/';

function seeded(
  prefix: string,
  segments: number,
  opts: { honoursStartAfter?: boolean } = {},
  store = new TestStore(BUCKET, opts),
): TestStore {
  const o = { segments, backups: ['base_000000010000000000000002_00000040'], sysid: '6262323410585460850' };
  for (const [k, v] of [...archiveEntries(prefix, o), sentinelEntry(prefix, o.backups[0]!)]) store.add(k, v, new Date());
  return store;
}

async function sequential(store: TestStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(BUCKET, prefix)) keys.push(o.key.slice(prefix.length));
  return keys;
}

describe('listArchive', () => {
  it('lists a large archive in parallel requests of nearly full pages, every key once, in key order', async () => {
    const store = seeded(OLD, 30_000);
    store.add(`${OLD}wal_005/000000010000000000000007:odd`, 'x', new Date());
    store.add(`${OLD}zz-after-wal`, 'x', new Date());
    const expected = await sequential(store, OLD);
    store.listRequests = 0;
    const listed = await listArchive(store, { bucket: BUCKET, prefix: OLD });
    expect([...listed.keys()]).toEqual(expected);
    expect(store.maxConcurrentLists).toBeGreaterThan(4);
    // 31 pages at the least, the partial last pages of 8 blocks, and the requests after them.
    expect(store.listRequests).toBeLessThanOrEqual(50);
  });

  it('lists a one-page archive in one request, and any archive completely through a store that cannot start after a key', async () => {
    const small = seeded(NEW, 3);
    const keys = [...(await listArchive(small, { bucket: BUCKET, prefix: NEW })).keys()];
    expect(small.listRequests).toBe(1);
    expect(keys).toEqual(await sequential(small, NEW));

    const store = seeded(OLD, 5000, { honoursStartAfter: false });
    store.add(`${OLD}wal_005/000000010000000000000007:odd`, 'x', new Date());
    store.add(`${OLD}zz-after-wal`, 'x', new Date());
    expect([...(await listArchive(store, { bucket: BUCKET, prefix: OLD })).keys()]).toEqual(await sequential(store, OLD));
  });
});

describe('quarantine', () => {
  it('lists the target and its quarantine at once before it copies', async () => {
    const store = seeded(NEW, 5);
    const before = await sequential(store, NEW);
    store.listRequests = 0;
    const r = await quarantine(store, { bucket: BUCKET, prefix: NEW }, { stamp: '20260317T180520Z' });
    expect(r).toMatchObject({ objects: before.length, copied: before.length, deleted: before.length });
    expect(await sequential(store, 'backups/ca5a7d15-0000-4000-8000-000000000001/wal.quarantine-20260317T180520Z/')).toEqual(before);
    expect(store.maxConcurrentLists).toBe(2);
  });
});
