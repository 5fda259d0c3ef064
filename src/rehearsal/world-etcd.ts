/**
 * The simulated platform's etcd (v2 keys): values by key, and for the keys a killed Patroni left
 * behind, when their TTL runs out against the world's clock. Every look at etcd first drops the
 * keys whose time is up, as etcd does by itself, and lets the nodes that were waiting on them act
 * (restore.ts `afterKeysExpired`).
 */
import { StepFailed } from '../core/errors.js';
import type { EtcdKeys, EtcdNode } from '../core/seams.js';
import { withoutKeys } from './json-state.js';
import type { SimWorld } from './world-state.js';

/** Drops the keys whose TTL ran out by the world's clock; the keys dropped, in key order. */
export function expireKeys(world: SimWorld): string[] {
  const expiry = world.state.etcdExpiry ?? {};
  const now = Date.parse(world.state.clock);
  const gone = Object.keys(expiry)
    .filter((k) => Date.parse(expiry[k]!) <= now)
    .sort();
  if (gone.length === 0) return [];
  world.state.etcdExpiry = withoutKeys(expiry, gone);
  const present = gone.filter((k) => k in world.state.etcd);
  world.state.etcd = withoutKeys(world.state.etcd, present);
  for (const k of present) world.record('etcd', `${k} expired (its TTL ran out)`);
  return present;
}

/** Sets a key that expires at `at` unless refreshed (a Patroni key), or, without `at`, one kept alive. */
export function setKey(world: SimWorld, key: string, value: string, at?: Date): void {
  world.state.etcd[key] = value;
  const expiry = withoutKeys(world.state.etcdExpiry ?? {}, [key]);
  world.state.etcdExpiry = at ? { ...expiry, [key]: at.toISOString() } : expiry;
}

function forget(world: SimWorld, key: string): void {
  world.state.etcd = withoutKeys(world.state.etcd, [key]);
  if (world.state.etcdExpiry) world.state.etcdExpiry = withoutKeys(world.state.etcdExpiry, [key]);
}

/** A key as etcd v2 answers it: with the whole seconds it has left (rounded up, as etcd does) and its expiration. */
export function readKey(world: SimWorld, key: string): EtcdNode | null {
  const value = world.state.etcd[key];
  if (value === undefined) return null;
  const at = world.state.etcdExpiry?.[key];
  if (!at) return { value };
  const left = Math.max(1, Math.ceil((Date.parse(at) - Date.parse(world.state.clock)) / 1000));
  return { value, ttl: left, expiration: at };
}

/**
 * The world's etcd behind the seam. `changed` runs after every look (to save the world), `afterExpiry`
 * whenever keys ran out (the nodes that waited on them act).
 */
export function worldEtcd(world: SimWorld, hostPort: string, hooks: { changed(): void; afterExpiry(keys: string[]): void }): EtcdKeys {
  const look = <T>(fn: () => T): Promise<T> =>
    new Promise((resolve, reject) => {
      try {
        const gone = expireKeys(world);
        if (gone.length) hooks.afterExpiry(gone);
        const result = fn();
        hooks.changed();
        resolve(result);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  return {
    where: `etcd ${hostPort} (simulated)`,
    get: (key) => look(() => world.state.etcd[key] ?? null),
    read: (key) => look(() => readKey(world, key)),
    // etcd v2 lists a directory's direct children; the simulated etcd keeps leaf keys only.
    list: (dir) =>
      look(() => {
        const under = `${dir.replace(/\/+$/, '')}/`;
        if (under.slice(0, -1) in world.state.etcd)
          throw new StepFailed(`etcd ${hostPort} (simulated): GET ${dir} answered a key, not a directory`);
        const keys = Object.keys(world.state.etcd).filter((k) => k.startsWith(under));
        if (!keys.length) return null;
        const nested = keys.find((k) => k.slice(under.length).includes('/'));
        if (nested)
          throw new StepFailed(
            `etcd ${hostPort} (simulated): ${dir} holds the directory ${nested.slice(0, nested.indexOf('/', under.length))}`,
          );
        return Object.fromEntries(keys.map((k) => [k, world.state.etcd[k]!]));
      }),
    set: (key, value) =>
      look(() => {
        // A key set again to the value it holds is no change of the world's (a step run again on resume).
        if (world.state.etcd[key] !== value) world.record('etcd', `set ${key} = ${value}`);
        setKey(world, key, value);
      }),
    delete: (key, opts = {}) =>
      look(() => {
        const value = world.state.etcd[key];
        if (value === undefined) return 'absent';
        if (opts.prevValue !== undefined && value !== opts.prevValue) return 'changed';
        forget(world, key);
        world.record('etcd', `deleted ${key}`);
        return 'deleted';
      }),
  };
}
