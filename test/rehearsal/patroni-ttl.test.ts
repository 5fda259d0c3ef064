/**
 * The simulated cell as the real one behaves around a stop: `docker stop` kills a Dingo container
 * after its grace period, its Patroni's keys outlive it by their TTL on the world's clock, a
 * container started while `/leader` stands only waits, and once the key runs out with
 * `/initialize` deleted, Patroni bootstraps a new empty cluster into the archive's prefix.
 */
import { describe, expect, it } from 'vitest';
import { readKey } from '../../src/rehearsal/world-etcd.js';
import { CELL, CONTAINER, LEADER_KEY, MEMBER, MEMBER_KEY, NEW_GUID, OTHER_LEADER_KEY, restoreWorld } from '../support/restore-world.js';

const INIT_KEY = `/service/${NEW_GUID}/initialize`;
const PREFIX = `backups/${NEW_GUID}/wal/`;

describe('docker stop on a simulated Dingo cell', () => {
  it('takes the whole grace period and kills the container, whose keys stay for the TTL left since its last refresh', async () => {
    const w = restoreWorld();
    const started = Date.parse(w.container().startedAt);
    const before = Date.parse(w.world.state.clock);
    const r = await w.docker('stop', CONTAINER);
    expect(r.exitCode).toBe(0);
    const c = w.container();
    expect(c.running).toBe(false);
    expect(c.exitCode).toBe(137);
    // Docker waited the 10 s default before the kill.
    expect(Date.parse(c.finishedAt) - before).toBeGreaterThanOrEqual(10_000);
    const killed = Date.parse(c.finishedAt);
    const lastRefresh = started + Math.floor((killed - started) / 10_000) * 10_000;
    const leader = readKey(w.world, LEADER_KEY)!;
    expect(leader.value).toBe(MEMBER);
    expect(leader.expiration).toBe(new Date(lastRefresh + 30_000).toISOString());
    expect(leader.ttl).toBeGreaterThan(0);
    expect(leader.ttl).toBeLessThanOrEqual(30);
    expect(readKey(w.world, MEMBER_KEY)?.expiration).toBe(leader.expiration);
    // The other tenant's leader is kept alive by its own running node.
    expect(readKey(w.world, OTHER_LEADER_KEY)).toEqual({ value: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b' });
  });

  it('honours -t: a longer grace period is waited whole too', async () => {
    const w = restoreWorld();
    const before = Date.parse(w.world.state.clock);
    await w.docker('stop', '-t', '30', CONTAINER);
    expect(Date.parse(w.container().finishedAt) - before).toBeGreaterThanOrEqual(30_000);
  });

  it('drops the keys by itself once their TTL ran out by the world clock', async () => {
    const w = restoreWorld();
    await w.docker('stop', CONTAINER);
    const etcd = await (await w.platform.cells.open(CELL)).etcd('10.58.111.149:4001');
    expect(await etcd.get(LEADER_KEY)).toBe(MEMBER);
    w.world.tick(31_000);
    expect(await etcd.get(LEADER_KEY)).toBeNull();
    expect(await etcd.get(MEMBER_KEY)).toBeNull();
    expect(await etcd.get(OTHER_LEADER_KEY)).not.toBeNull();
    expect(w.world.state.history.map((h) => h.what)).toContain(`${LEADER_KEY} expired (its TTL ran out)`);
  });
});

describe('a container started while its killed leader key stands', () => {
  /** Stopped, its data moved away and /initialize deleted as the runbook does, then started at once: the key still stands. */
  async function startedTooSoon() {
    const w = restoreWorld();
    await w.docker('stop', CONTAINER);
    const cell = w.world.state.cells[CELL]!;
    cell.files[w.container().mounts[0]!.Source] = [];
    const etcd = await (await w.platform.cells.open(CELL)).etcd('10.58.111.149:4001');
    await etcd.delete(INIT_KEY);
    await w.docker('start', CONTAINER);
    return { w, etcd };
  }

  it('says "leader exists … join cluster" and only waits, never accepting connections', async () => {
    const { w } = await startedTooSoon();
    const c = w.container();
    expect(c.running).toBe(true);
    expect(c.patroni).toBe('waiting-for-leader');
    expect(c.logs.join('\n')).toContain(
      '78218d-restore_leader_if_missing> leader exists, no additional preparation required for container to join cluster',
    );
    expect(c.logs.join('\n')).toMatch(
      /78218d-patroni> \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO: trying to bootstrap from leader '52167ceb-bd3d-4bff-8699-a239d21c5379'/,
    );
    const ready = await w.docker('exec', CONTAINER, 'pg_isready', '-h', '127.0.0.1', '-p', '5432');
    expect(ready.exitCode).toBe(2);
  });

  it('bootstraps a NEW empty cluster when the key runs out with /initialize deleted, archiving it over the prefix', async () => {
    const { w, etcd } = await startedTooSoon();
    const sysidBefore = w.world.state.s3['our-postgresql-backups']![`${PREFIX}sysids/sysid`]!.body;
    w.world.tick(31_000);
    // The next look at the platform finds what etcd and Patroni did meanwhile.
    await w.docker('inspect', CONTAINER);
    const c = w.container();
    expect(c.patroni).toBeUndefined();
    expect(c.logs.join('\n')).toContain('INFO: initialized a new cluster');
    expect(c.logs.join('\n')).not.toContain('trying to bootstrap a new cluster');
    expect(await etcd.get(LEADER_KEY)).toBe(MEMBER);
    const initialized = await etcd.get(INIT_KEY);
    expect(initialized).not.toBeNull();
    const sysidAfter = w.world.state.s3['our-postgresql-backups']![`${PREFIX}sysids/sysid`]!.body;
    expect(sysidAfter).toBe(`${initialized}\n`);
    expect(sysidAfter).not.toBe(sysidBefore);
    expect(w.world.state.history.map((h) => h.what).join('\n')).toContain('bootstrapped a new empty cluster');
  });
});
