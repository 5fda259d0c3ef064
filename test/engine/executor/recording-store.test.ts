/** The store a run's actions use: writes are shown as API calls; reads, and how they are asked, pass through unchanged. */
import { describe, expect, it } from 'vitest';
import { recordingStore } from '../../../src/engine/executor/index.js';
import { TestStore } from '../../support/memory-store.js';

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('the recording store', () => {
  it("passes a listing's startAfter to the store, so split listings stay split", async () => {
    const inner = new TestStore('b');
    for (const k of ['p/a', 'p/b', 'p/c']) await inner.put({ bucket: 'b', key: k }, 'x');
    const calls: string[] = [];
    const store = recordingStore(inner, { api: (t) => calls.push(t) });
    expect((await collect(store.list('b', 'p/', { startAfter: 'p/a' }))).map((o) => o.key)).toEqual(['p/b', 'p/c']);
    expect(calls).toEqual([]);
  });

  it('shows each write as the API call a live run makes', async () => {
    const calls: string[] = [];
    const store = recordingStore(new TestStore('b'), { api: (t) => calls.push(t) });
    await store.put({ bucket: 'b', key: 'k' }, 'x');
    expect(calls).toEqual(['PutObject s3://b/k']);
  });
});
