import { describe, expect, it } from 'vitest';
import { listArchiveObjects, planSplit } from '../../src/wale/listing.js';
import { inspectArchive } from '../../src/wale/inspect.js';
import { formatSegment, segmentAtIndex } from '../../src/wale/segments.js';
import { ArchiveBuilder, BUCKET, PREFIX, URL, minutes } from './archive-builder.js';

describe('planSplit', () => {
  it('hands every later WAL-name character to a child and keeps a narrowed scope', () => {
    const scope = 'p/wal_005/';
    const split = planSplit(scope, `${scope}000000010000000000000001.lzo`, `${scope}0000000100000003000000E8.lzo`, scope.length + 24)!;
    expect(split.scope).toBe(`${scope}0000000100000003`);
    // first and k differ at the last LOG digit: LOG 4..F become children, LOG 3 stays.
    expect(split.children).toContain(`${scope}000000010000000F`);
    expect(split.children).toContain(`${scope}00000002`);
    expect(split.children).toContain(`${scope}1`);
    expect(split.children).not.toContain(`${scope}0`);
    expect(new Set(split.children).size).toBe(split.children.length);
  });

  it('does not split on characters outside WAL names', () => {
    expect(planSplit('p/wal_005/', 'p/wal_005/x1', 'p/wal_005/x9', 'p/wal_005/'.length + 24)).toBeNull();
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

    const report = await inspectArchive(a.store, URL, { concurrency: 8 });
    expect(report.objects).toBe(total + 17);
    expect(report.walSegments).toBe(total + 10);
    expect(report.timelines).toEqual([1, 2]);
    expect(report.lastSegment).toBe(formatSegment(segmentAtIndex(1, total)));
  });

  it('with exhaustive: one sequential listing that also sees keys after the WAL folder', async () => {
    const a = new ArchiveBuilder();
    a.wal('000000010000000000000001', '000000010000000000000003', minutes(0));
    a.put('zz-after-wal', 'x', minutes(0));
    const fast = await listArchiveObjects(a.store, BUCKET, PREFIX);
    const all = await listArchiveObjects(a.store, BUCKET, PREFIX, { exhaustive: true });
    expect(all.map((o) => o.key.slice(PREFIX.length))).toEqual([
      'wal_005/000000010000000000000001.lzo',
      'wal_005/000000010000000000000002.lzo',
      'wal_005/000000010000000000000003.lzo',
      'zz-after-wal',
    ]);
    // The documented limit of the parallel plan.
    expect(fast.map((o) => o.key)).toEqual(all.slice(0, 3).map((o) => o.key));
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
