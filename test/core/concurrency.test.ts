import { describe, expect, it } from 'vitest';
import { Gate, mapLimit } from '../../src/core/concurrency.js';

describe('mapLimit', () => {
  it('runs at most `limit` at once and gives the results in the items’ order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('gives an empty list for no items, and a rejection for a failing one', async () => {
    expect(await mapLimit([], 4, () => Promise.resolve(1))).toEqual([]);
    await expect(mapLimit([1, 2], 1, (n) => (n === 2 ? Promise.reject(new Error('two')) : Promise.resolve(n)))).rejects.toThrow('two');
  });

  it('with stopOnFailure starts nothing after the first failure and rejects once those in flight settle', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = mapLimit(
      [1, 2, 3, 4, 5, 6],
      2,
      async (n) => {
        started.push(n);
        await new Promise((r) => setTimeout(r, n === 2 ? 1 : 20));
        settled++;
        if (n === 2) throw new Error('two');
        return n;
      },
      { stopOnFailure: true },
    );
    await expect(run).rejects.toThrow('two');
    expect(started).toEqual([1, 2]);
    expect(settled).toBe(2);
  });

  it('with stopOnFailure gives the results in order when nothing fails', async () => {
    expect(await mapLimit([3, 1, 2], 8, (n) => Promise.resolve(n * 2), { stopOnFailure: true })).toEqual([6, 2, 4]);
  });
});

describe('Gate', () => {
  it('lets at most its limit through at once, in the order they asked, and gives the room back when a task fails', async () => {
    const gate = new Gate(2);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const task = (n: number) => async (): Promise<number> => {
      order.push(n);
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 5));
      inside--;
      if (n === 1) throw new Error('one');
      return n;
    };
    const runs = [1, 2, 3, 4, 5].map((n) => gate.run(task(n)));
    const settled = await Promise.allSettled(runs);
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('a release called twice gives back one place only', async () => {
    const gate = new Gate(1);
    const release = await gate.acquire();
    release();
    release();
    const first = await gate.acquire();
    let second = false;
    void gate.acquire().then(() => (second = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(second).toBe(false);
    first();
  });
});
