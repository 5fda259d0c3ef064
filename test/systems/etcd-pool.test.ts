import { describe, expect, it } from 'vitest';
import { etcdAvailable, startEtcd, type Etcd } from '../support/etcd.js';
import { openServers, REGISTRY_VAR } from '../support/server-registry.js';

/** The keys under the root, as etcd lists them (recursive). */
async function keys(etcd: Etcd): Promise<string[]> {
  const res = await fetch(`${etcd.url}/v2/keys/?recursive=true`);
  const root = (await res.json()) as { node: { nodes?: { key: string }[] } };
  return (root.node.nodes ?? []).map((n) => n.key);
}

/** The registry's entry of the server ETCD is: the registry knows an etcd by its client URL. */
const entryOf = (etcd: Etcd) => openServers(process.env[REGISTRY_VAR]!).find((e) => e.what === 'etcd' && e.marker === etcd.url);

describe.runIf(etcdAvailable)("the run's shared etcd servers", () => {
  it('hands a server to one file at a time, every key deleted when it is given back', async () => {
    const [a, b] = await Promise.all([startEtcd(), startEtcd()]);
    try {
      expect(a.url).not.toBe(b.url);
      // A Patroni cluster's keys, one of them with a TTL, as a stopped container leaves them.
      await a.put('/service/0f9e8d7c/initialize', '6262209914512345093');
      await a.put('/service/0f9e8d7c/members/node-a', '{"role":"master"}', 30);
      await a.put('/top-level', 'x');
      expect(await keys(a)).toEqual(expect.arrayContaining(['/service', '/top-level']));
      await a.stop();
      // Given back, it holds nothing: whichever file gets it next finds none of this one's keys.
      expect(await keys(a)).toEqual([]);
      const again = await startEtcd();
      try {
        // Never the one a file still holds.
        expect(again.url).not.toBe(b.url);
        expect(await keys(again)).toEqual([]);
      } finally {
        await again.stop();
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('never hands out a server that is gone, and lists each it started in the registry for the run to stop', async () => {
    const first = await startEtcd();
    const pid = entryOf(first)?.pid;
    expect(entryOf(first)?.shared).toBe(true);
    await first.stop();
    process.kill(pid!, 'SIGKILL');
    const next = await startEtcd();
    try {
      expect(next.url).not.toBe(first.url);
      expect((await fetch(`${next.url}/v2/keys/`)).ok).toBe(true);
    } finally {
      await next.stop();
    }
  });
});
