import { describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../support/moto.js';
import { openServers, REGISTRY_VAR } from '../support/server-registry.js';

async function buckets(moto: Moto): Promise<string> {
  const res = await fetch(`${moto.endpoint}/`);
  return res.text();
}

describe("the run's shared moto servers", () => {
  it('hands a server to one file at a time, emptied when it is given back', async () => {
    const [a, b] = await Promise.all([startMoto(), startMoto()]);
    try {
      expect(a.port).not.toBe(b.port);
      await a.createBucket('held-by-a-test');
      expect(await buckets(a)).toContain('<Name>held-by-a-test</Name>');
      await a.stop();
      // Given back, it is empty: whichever file gets it next finds none of this one's buckets.
      expect(await buckets(a)).not.toContain('held-by-a-test');
      const again = await startMoto();
      try {
        // Never the one a file still holds.
        expect(again.port).not.toBe(b.port);
        expect(await buckets(again)).not.toContain('<Bucket>');
      } finally {
        await again.stop();
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('never hands out a server that is gone, and lists each it started in the registry for the run to stop', async () => {
    const first = await startMoto();
    const pid = openServers(process.env[REGISTRY_VAR]!).find((e) => e.marker === String(first.port))?.pid;
    expect(openServers(process.env[REGISTRY_VAR]!).find((e) => e.pid === pid)?.shared).toBe(true);
    await first.stop();
    process.kill(pid!, 'SIGKILL');
    const next = await startMoto();
    try {
      expect(next.port).not.toBe(first.port);
      expect((await fetch(`${next.endpoint}/moto-api/`)).ok).toBe(true);
    } finally {
      await next.stop();
    }
  });
});
