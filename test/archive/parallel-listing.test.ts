import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/core/redact.js';
import fc from 'fast-check';
import { listArchiveObjects } from '../../src/archive/parallel-listing.js';
import { planBlocks, prefixesAfter } from '../../src/archive/wal-key-blocks.js';
import { inspectArchive } from '../../src/archive/inspect.js';
import { formatSegment, segmentAtIndex } from '../../src/wale/segments.js';
import { ArchiveBuilder, BUCKET, PREFIX, URL, minutes } from '../support/archive-builder.js';
import { TestStore } from '../support/memory-store.js';

const W = `${PREFIX}wal_005/`;

/** An archive of `count` WAL segments named by `name`, with a sysid and one base backup before the WAL folder. */
function archive(count: number, name: (i: number) => string, opts: { honoursStartAfter?: boolean } = {}): TestStore {
  const store = new TestStore(BUCKET, opts);
  const at = minutes(0);
  store.add(`${PREFIX}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt`, 'PostgreSQL 9.5.1', at);
  store.add(`${PREFIX}sysids/sysid`, '1\n', at);
  for (let i = 1; i <= count; i++) store.add(`${W}${name(i)}.lzo`, 100, at);
  return store;
}

const realistic = (i: number): string => formatSegment(segmentAtIndex(1, i));
/** The benchmark's names: one log, segment numbers counting on past FF. */
const counting = (i: number): string => `0000000100000000${i.toString(16).toUpperCase().padStart(8, '0')}`;

async function everything(store: TestStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(BUCKET, PREFIX)) keys.push(o.key);
  return keys;
}

describe('planBlocks', () => {
  it('cuts the key space into blocks of about blockKeys keys from the density seen', () => {
    // 1000 keys from segment 1 to 3E8: 256 keys per last-but-two digit, so blocks one digit up hold 4096.
    const plan = planBlocks(W, `${W}${counting(1)}.lzo`, `${W}${counting(1000)}.lzo`, W.length + 24, 1000, 4000)!;
    expect(plan.block).toBe(`${W}000000010000000000000`);
    expect(plan.parent).toBe(`${W}00000001000000000000`);
    expect(plan.siblings).toHaveLength(15);
    expect(plan.siblings[0]).toBe(`${W}000000010000000000001`);
    expect(plan.siblings.at(-1)).toBe(`${W}00000001000000000000F`);
    expect(plan.estimate).toBeGreaterThan(3000);
    expect(plan.estimate).toBeLessThan(6000);
  });

  it('keeps blocks one character longer than the scope at the least, and does not split outside WAL names', () => {
    const plan = planBlocks(W, `${W}000000010000000000000001`, `${W}000000010000000000000002`, W.length + 24, 2, Infinity)!;
    expect(plan.block).toBe(`${W}0`);
    expect(plan.siblings[0]).toBe(`${W}1`);
    expect(planBlocks(W, `${W}x1`, `${W}x9`, W.length + 24, 1000, 4000)).toBeNull();
  });

  it('prefixesAfter lists every greater WAL-name character at each position', () => {
    expect(prefixesAfter('p/', 'p/0E\u{10FFFF}')).toEqual([...'123456789ABCDEF'.split('').map((c) => `p/${c}`), 'p/0F']);
  });
});

describe('listArchiveObjects', () => {
  it('lists 100,000 WAL keys in parallel, completely and without duplicates', async () => {
    const a = new ArchiveBuilder();
    a.sysid();
    a.put('README', 'stray key before the WAL folder', minutes(0));
    a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000002', at: minutes(1) });
    const total = 100_000;
    for (let i = 1; i <= total; i++) a.put(`wal_005/${formatSegment(segmentAtIndex(1, i))}.lzo`, 16_000, minutes(i));
    // A second timeline and a history file in the middle of the key space.
    a.put('wal_005/00000002.history.lzo', 100, minutes(5));
    for (let i = 200; i < 210; i++) a.put(`wal_005/${formatSegment(segmentAtIndex(2, i))}.lzo`, 16_000, minutes(i));

    const expected: string[] = [];
    for await (const o of a.store.list(BUCKET, PREFIX)) expected.push(o.key);
    a.store.listCalls.length = 0;

    const listed = await listArchiveObjects(a.store, BUCKET, PREFIX, { concurrency: 8 });
    expect(listed.map((o) => o.key)).toEqual(expected);
    expect(listed.length).toBe(total + 17);
    expect(a.store.listCalls.length).toBeGreaterThan(10);
    expect(a.store.maxConcurrentLists).toBeGreaterThan(1);
    expect(a.store.maxConcurrentLists).toBeLessThanOrEqual(8);

    const report = await inspectArchive(a.store, URL, { redactor: new Redactor(), concurrency: 8 });
    expect(report.objects).toBe(total + 17);
    expect(report.walSegments).toBe(total + 10);
    expect(report.timelines).toEqual([1, 2]);
    expect(report.lastSegment).toBe(formatSegment(segmentAtIndex(1, total)));
  });

  it('with exhaustive: one sequential listing; the plan too reaches keys after the WAL folder when the store honours startAfter', async () => {
    const a = new ArchiveBuilder();
    a.wal('000000010000000000000001', '000000010000000000000003', minutes(0));
    a.put('zz-after-wal', 'x', minutes(0));
    const all = await listArchiveObjects(a.store, BUCKET, PREFIX, { exhaustive: true });
    expect(all.map((o) => o.key.slice(PREFIX.length))).toEqual([
      'wal_005/000000010000000000000001.lzo',
      'wal_005/000000010000000000000002.lzo',
      'wal_005/000000010000000000000003.lzo',
      'zz-after-wal',
    ]);
    expect((await listArchiveObjects(a.store, BUCKET, PREFIX)).map((o) => o.key)).toEqual(all.map((o) => o.key));

    // The documented limit of a store that ignores startAfter, once the listing splits; `complete` lifts it.
    const b = new TestStore(BUCKET, { honoursStartAfter: false });
    for (const o of all) b.add(o.key, o.size, o.lastModified);
    const fast = await listArchiveObjects(b, BUCKET, PREFIX, { splitAfter: 2 });
    expect(fast.map((o) => o.key)).toEqual(all.slice(0, 3).map((o) => o.key));
    const complete = await listArchiveObjects(b, BUCKET, PREFIX, { splitAfter: 2, complete: true });
    expect(complete.map((o) => o.key)).toEqual(all.map((o) => o.key));
  });

  it('lists a prefix of one page in one request', async () => {
    const store = archive(900, realistic);
    store.listRequests = 0;
    expect(await listArchiveObjects(store, BUCKET, PREFIX)).toHaveLength(902);
    expect(store.listRequests).toBe(1);
  });

  it('lists 100,000 keys in about one request per 1,000 keys, none of them to empty prefixes by the hundred', async () => {
    for (const name of [realistic, counting]) {
      const store = archive(99_998, name);
      const expected = await everything(store);
      store.listRequests = 0;
      store.listCalls.length = 0;
      const listed = await listArchiveObjects(store, BUCKET, PREFIX);
      expect(listed.map((o) => o.key)).toEqual(expected);
      // 100 pages at the least; the parallel plan of sub-prefixes alone made 566 requests.
      expect(store.listRequests).toBeGreaterThanOrEqual(100);
      expect(store.listRequests).toBeLessThanOrEqual(140);
      expect(store.startAfterCalls).toBeGreaterThan(0);
      expect(store.maxConcurrentLists).toBeGreaterThan(4);
    }
  });

  it('lists completely through a store that ignores startAfter, noticing it on its first answer', async () => {
    for (const name of [realistic, counting]) {
      const store = archive(30_000, name, { honoursStartAfter: false });
      const expected = await everything(store);
      store.listRequests = 0;
      const listed = await listArchiveObjects(store, BUCKET, PREFIX);
      expect(listed.map((o) => o.key)).toEqual(expected);
      // Each listing asked to start after a key costs one request before the store is known.
      expect(store.startAfterCalls).toBeLessThanOrEqual(3);
      expect(store.listRequests).toBeLessThan(450);
    }
  });

  it('with complete, lists through a store that ignores startAfter as one scan after one wasted request', async () => {
    const store = archive(30_000, realistic, { honoursStartAfter: false });
    store.add(`${W}000000010000000000000005:stray`, 1, minutes(0));
    const expected = await everything(store);
    store.listRequests = 0;
    const listed = await listArchiveObjects(store, BUCKET, PREFIX, { complete: true });
    expect(listed.map((o) => o.key)).toEqual(expected);
    // 31 pages of the scan, 2 pages before the split, 1 request to start after a key.
    expect(store.startAfterCalls).toBe(1);
    expect(store.listRequests).toBeLessThanOrEqual(31 + 3);
  });

  it('finds far timelines, history files and stray WAL-folder keys, with or without startAfter', async () => {
    for (const honoursStartAfter of [true, false]) {
      const store = archive(5000, realistic, { honoursStartAfter });
      const at = minutes(0);
      for (let i = 1; i <= 300; i++) store.add(`${W}${formatSegment(segmentAtIndex(0x1f, 9000 + i))}.lzo`, 1, at);
      store.add(`${W}0000001F.history.lzo`, 1, at);
      store.add(`${W}00000100000000AB00000001.lzo`, 1, at);
      store.add(`${W}FFFFFFFF0000000000000001.lzo`, 1, at);
      store.add(`${W}000000010000000300000010.00000028.backup.lzo`, 1, at);
      const listed = await listArchiveObjects(store, BUCKET, PREFIX, { splitAfter: 500, blockKeys: 1000 });
      expect(listed.map((o) => o.key)).toEqual(await everything(store));
    }
  });

  it('lists any set of keys completely with startAfter or `complete`, and every WAL name without (property)', async () => {
    const name = fc.stringMatching(/^[0-9A-F]{0,8}[0-9A-F.:@Gaz/_-]{0,6}[0-9A-F.]{0,10}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(name, { minLength: 0, maxLength: 400 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 60 }),
        async (names, honours, complete, splitAfter) => {
          const store = new TestStore(BUCKET, { honoursStartAfter: honours });
          store.add(`${PREFIX}sysids/sysid`, '1', minutes(0));
          for (const n of names) store.add(`${W}${n}`, 1, minutes(0));
          store.add(`${PREFIX}zz-after-wal`, '1', minutes(0));
          const listed = (await listArchiveObjects(store, BUCKET, PREFIX, { splitAfter, blockKeys: 40, concurrency: 3, complete })).map(
            (o) => o.key,
          );
          const all = await everything(store);
          if (honours || complete) expect(listed).toEqual(all);
          else {
            // Without startAfter: every key before the WAL folder and every WAL name in it; nothing twice, nothing invented.
            const must = all.filter((k) => k < W || (k.startsWith(W) && /^[0-9A-F.]*$/.test(k.slice(W.length))));
            expect(listed.filter((k) => must.includes(k))).toEqual(must);
            expect(all.filter((k) => listed.includes(k))).toEqual(listed);
          }
        },
      ),
      // A sub-folder inside a block, found by this property once.
      { numRuns: 300, examples: [[['BA', 'B/.', '00'], false, false, 1]] },
    );
  });

  it('lists any set of WAL-name keys completely, each once (property)', async () => {
    const name = fc.stringMatching(/^[0-9A-F]{8}[0-9A-F.]{0,16}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(name, { minLength: 0, maxLength: 400 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 60 }),
        async (names, honours, splitAfter) => {
          const store = new TestStore(BUCKET, { honoursStartAfter: honours });
          store.add(`${PREFIX}sysids/sysid`, '1', minutes(0));
          for (const n of names) store.add(`${W}${n}`, 1, minutes(0));
          const listed = await listArchiveObjects(store, BUCKET, PREFIX, { splitAfter, blockKeys: 40, concurrency: 4 });
          expect(listed.map((o) => o.key)).toEqual(await everything(store));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('splits small folders too when asked, still listing each key once', async () => {
    const a = new ArchiveBuilder();
    a.wal('000000010000000000000001', '000000010000000200000010', minutes(0));
    a.put('wal_005/000000010000000000000005.00000028.backup.lzo', 10, minutes(0));
    a.put('wal_005/00000002.history.lzo', 10, minutes(0));
    const listed = await listArchiveObjects(a.store, BUCKET, PREFIX, { splitAfter: 7, concurrency: 4 });
    const all = await listArchiveObjects(a.store, BUCKET, PREFIX, { exhaustive: true });
    expect(listed.map((o) => o.key)).toEqual(all.map((o) => o.key));
    expect(all.length).toBe(0x200 + 0x10 + 2);
  });
});
