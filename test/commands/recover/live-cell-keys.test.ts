/**
 * The live end-to-end cell (test/support/live/cell-docker.ts) against a REAL etcd: `docker stop`
 * kills the node, its keys written again with the TTL they had left (`PUT ?ttl=`, never over
 * another node's /leader), and a container started while /leader stands only waits.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_DOCKER, fakeDaemon, type FakeDaemon } from '../../support/fake-docker/world.js';
import { etcdAvailable, startEtcd, type Etcd } from '../../support/etcd.js';
import { CONTAINER, sampleCell } from '../../support/sample-cell.js';
import type { LiveCellWorld } from '../../support/live/cell-docker.js';

const SCOPE = '78218ded-7d88-4d69-bd44-6f478c300134';
const MEMBER = '52167ceb-bd3d-4bff-8699-a239d21c5379';

describe.skipIf(!etcdAvailable)('the live cell double and the real etcd', () => {
  let etcd: Etcd;
  let daemon: FakeDaemon;
  let data: string;
  beforeAll(async () => {
    etcd = await startEtcd();
    data = mkdtempSync(join(tmpdir(), 'dingo-live-keys-'));
    const cell = sampleCell();
    const c = cell.containers[CONTAINER]!;
    c.env = c.env.map((e) => (e.startsWith('ETCD_HOST_PORT=') ? `ETCD_HOST_PORT=${etcd.hostPort}` : e));
    c.mounts = [{ Source: join(data, 'data'), Destination: '/data', Mode: '', RW: true }];
    mkdirSync(join(data, 'data'));
    const world: LiveCellWorld = { ...cell, s3Endpoint: 'http://127.0.0.1:1', databases: {}, serving: {}, history: [] };
    daemon = await fakeDaemon(world, resolve(import.meta.dirname, '../../support/live/cell-docker.ts'));
  }, 60_000);
  afterAll(async () => {
    daemon.remove();
    rmSync(data, { recursive: true, force: true });
    await etcd.stop();
  });
  const docker = (...args: string[]) => spawnSync(FAKE_DOCKER, ['--host', daemon.host, ...args], { encoding: 'utf8' });
  const key = async (k: string) => {
    const res = await fetch(`${etcd.url}/v2/keys${k}`);
    return res.status === 404 ? null : ((await res.json()) as { node: { value: string; ttl?: number } }).node;
  };

  it('stops by a kill that leaves the keys to their TTL, then only waits when started while /leader stands', async () => {
    await etcd.put(`/service/${SCOPE}/leader`, MEMBER);
    await etcd.put(`/service/${SCOPE}/members/${MEMBER}`, '{"role":"master"}');
    await etcd.put('/service/other/leader', 'someone-else');
    expect(docker('stop', CONTAINER).status).toBe(0);
    const leader = await key(`/service/${SCOPE}/leader`);
    expect(leader?.value).toBe(MEMBER);
    expect(leader?.ttl).toBeGreaterThan(0);
    expect(leader?.ttl).toBeLessThanOrEqual(30);
    expect((await key(`/service/${SCOPE}/members/${MEMBER}`))?.ttl).toBeLessThanOrEqual(30);
    expect(await key('/service/other/leader')).toEqual(expect.objectContaining({ value: 'someone-else' }));
    expect((await key('/service/other/leader'))?.ttl).toBeUndefined();

    expect(docker('start', CONTAINER).status).toBe(0);
    const logs = docker('logs', CONTAINER);
    expect(logs.stdout).toContain(
      'restore_leader_if_missing> leader exists, no additional preparation required for container to join cluster',
    );
    expect(docker('exec', CONTAINER, 'pg_isready', '-h', '127.0.0.1', '-p', '5432').status).toBe(2);
    expect((daemon.read() as LiveCellWorld).history).toContain(
      `${CONTAINER} found /service/${SCOPE}/leader standing and only waits to join that leader`,
    );
  }, 60_000);
});
