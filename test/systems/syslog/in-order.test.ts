/**
 * The findings of a file's ranges handed on in the order of the file, whichever thread read a
 * range and whenever it finished: what this thread read out of turn waits, folded through runs of
 * its own, until the ranges before it are done; a worker's batches wait for their range's turn.
 */
import { describe, expect, it } from 'vitest';
import { InOrder, type ScanBatch, type ThreadSink } from '../../../src/systems/syslog/in-order.js';
import { containerLines, walUpload } from '../../support/forged-lines.js';

const GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const ARCHIVE = `s3://backups/backups/${GUID}/wal/`;
const FILE_TIME = new Date('2017-01-11T00:00:00Z');
const writer = containerLines('14ddd22e-719e-4aca-b318-7f291c97fbba', 'cf-c8ce128e-7b4c-4fe7-a533-e9379356f906', GUID);
const upload = (second: number): string =>
  writer(`Jan 10 10:00:${String(second).padStart(2, '0')}`, walUpload(ARCHIVE, second.toString(16).padStart(24, '0')));

/** A sink that writes down everything it is told, in order. */
function recording(): { sink: ThreadSink; told: string[] } {
  const told: string[] = [];
  const sink: ThreadSink = {
    hit: (line, offset, stands) => told.push(`hit ${offset} ${stands ?? 1} ${line}`),
    longLine: (offset, length) => told.push(`long ${offset} ${length}`),
    binaryLines: (offset, count) => told.push(`binary ${offset} ${count}`),
    progress: (bytes) => told.push(`progress ${bytes}`),
    failed: (at, until, why) => told.push(`failed ${at} ${until} ${why}`),
  };
  return { sink, told };
}

function batch(range: number, events: (string | number)[], more: Partial<ScanBatch> = {}): ScanBatch {
  const size = events.reduce<number>((n, e) => n + (typeof e === 'string' ? e.length : 1), 0);
  return { range, events, size, start: range * 1000, end: range * 1000 + 900, folded: false, ...more };
}

describe('the ranges of a file handed on in order', () => {
  it('holds what this thread read out of turn, folded on its own, and a worker’s batches, until the ranges before are done', async () => {
    const { sink, told } = recording();
    const order = new InOrder(sink, [1000, 2000, Number.MAX_SAFE_INTEGER], FILE_TIME);
    const held = new SharedArrayBuffer(4);
    const bound = new Int32Array(held);

    // Range 2, read here first: three uploads of one run, then a read that failed.
    const kept = order.keep(2);
    for (const s of [1, 2, 3]) kept.runs.hit(upload(s), 2000 + s * 100);
    kept.runs.flush();
    kept.failed(2400, 'EIO: i/o error');
    const handedOn = order.handedOn();
    kept.end({ start: 2001, end: 2400 });
    expect(order.keptSize).toBeGreaterThan(0);

    // Range 1, a worker's, in two batches: its lines wait for range 0, its bound untouched.
    const b1 = batch(1, [0, upload(10), 1100, -1, 1200, 2_000_000]);
    const b2 = batch(1, [0, upload(11), 1300], { done: true });
    Atomics.add(bound, 0, b1.size + b2.size);
    order.batch(b1, held);
    order.batch(b2, held);
    expect(told).toEqual([]);
    expect(Atomics.load(bound, 0)).toBe(b1.size + b2.size);

    // Range 0, read here in turn, straight into the sink through its runs.
    order.runs(0).hit(upload(20), 0);
    order.runs(0).binaryLines(500, 2);
    order.runs(0).flush();
    order.finished(0, 1000);
    order.drain();
    await handedOn;
    await order.done;

    expect(told).toEqual([
      `hit 0 1 ${upload(20)}`,
      'binary 500 2',
      'progress 1000',
      // Range 1's lines through range 1's runs: the overlong line closes the run of one.
      `hit 1100 1 ${upload(10)}`,
      'long 1200 2000000',
      `hit 1300 1 ${upload(11)}`,
      'progress 1900',
      // Range 2's run of three, folded here on its own: first and last, the last standing for two.
      `hit 2100 1 ${upload(1)}`,
      `hit 2300 2 ${upload(3)}`,
      'failed 2400 null EIO: i/o error',
      'progress 2299',
    ]);
    expect(Atomics.load(bound, 0)).toBe(0);
    expect(order.keptSize).toBe(0);
    expect(order.current).toBe(3);
  });

  it('says where a range read out of turn was to end when reading it failed', () => {
    const { sink, told } = recording();
    const order = new InOrder(sink, [1000, 2000, Number.MAX_SAFE_INTEGER], FILE_TIME);
    const kept = order.keep(1);
    kept.failed(1500, 'EIO: i/o error');
    kept.end({ start: 1001, end: 1500 });
    order.runs(0).flush();
    order.finished(0, 1000);
    order.drain();
    expect(told).toEqual(['progress 1000', 'failed 1500 2000 EIO: i/o error', 'progress 1499']);
    expect(order.current).toBe(2);
  });
});
