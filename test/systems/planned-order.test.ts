/**
 * The order a pass's files start in (test/support/planned-order.ts): the longest first, except that a
 * file that mostly waits takes only a worker past the cores, unless it would otherwise end among the last.
 */
import { describe, expect, it } from 'vitest';
import { plannedOrder, type FileCost } from '../support/planned-order.js';

const file = (name: string, wall: number, cores: number): FileCost<string> => ({ file: name, wall, cores });

describe('plannedOrder', () => {
  it('is longest first when every file works alike', () => {
    const files = [file('b', 20, 1), file('a', 30, 1), file('d', 5, 1), file('c', 10, 1)];
    expect(plannedOrder(files, 4, 2)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives the files that wait the workers past the cores, and the cores to files that work', () => {
    // Three recoveries through bosh ssh of minutes that cost a core a few percent, a crash sweep, a matrix, short files.
    const short = Array.from({ length: 20 }, (_, i) => file(`short${String(i)}`, 8, 0.6));
    const files = [
      file('v1', 190, 0.04),
      file('cell', 100, 0.07),
      file('stage', 60, 0.04),
      file('sweep', 45, 1),
      file('matrix', 55, 0.6),
      ...short,
    ];
    const order = plannedOrder(files, 4, 2);
    // Longest first would start v1, cell, stage and matrix: three of four workers waiting on two cores.
    expect(order.slice(0, 4)).toEqual(['v1', 'cell', 'sweep', 'matrix']);
    expect(order.indexOf('stage')).toBeGreaterThan(4);
    // Each file once, none lost.
    expect([...order].sort()).toEqual(files.map((f) => f.file).sort());
  });

  it('starts a file that waits when it would end in the last of the pass if it started any later', () => {
    const work = Array.from({ length: 10 }, (_, i) => file(`work${String(i)}`, 10, 1));
    // Three workers on two cores: one past them, taken by `long`; `later` has to start when the first work ends.
    const order = plannedOrder([file('long', 100, 0.05), file('later', 70, 0.05), ...work], 3, 2);
    expect(order.slice(0, 4)).toEqual(['long', 'work0', 'work1', 'later']);
  });

  it('starts a file no pass has timed first: it may be long', () => {
    expect(plannedOrder([file('known', 50, 1), file('new', Infinity, 1), file('other', 20, 1)], 2, 2)[0]).toBe('new');
  });
});
