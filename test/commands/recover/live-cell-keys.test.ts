/**
 * The live end-to-end cell (test/support/live/cell-docker.ts) against a REAL etcd: `docker stop`
 * kills the node, its keys written again with the TTL they had left (`PUT ?ttl=`, never over
 * another node's /leader), a container started while /leader stands only waits, and one started
 * while /initialize holds another system than its archive's exits, which its restart policy makes a crash loop.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_DOCKER, fakeDaemon, type FakeDaemon } from '../../support/fake-docker/world.js';
import { etcdAvailable, startEtcd, type Etcd } from '../../support/etcd.js';
import { CONTAINER, sampleCell } from '../../support/sample-cell.js';
import type { LiveCellWorld } from '../../support/live/cell-docker.js';
import { ifStarted } from '../../support/started.js';
import { MISMATCH_ATTEMPT_MS } from '../../../src/rehearsal/crash-loop.js';

const SCOPE = '78218ded-7d88-4d69-bd44-6f478c300134';
const MEMBER = '52167ceb-bd3d-4bff-8699-a239d21c5379';
/** The system identifier the archive at the container's prefix records. */
const ARCHIVED_SYSID = '6262209914512345093';

describe.skipIf(!etcdAvailable)('the live cell double and the real etcd', () => {
  let etcd: Etcd;
  let daemon: FakeDaemon;
  let data: string;
  /** S3 as the node's wal-e meets it here: an archive of ARCHIVED_SYSID, its sysids/sysid alone (404 to every other request). */
  let s3: Server;
  beforeAll(async () => {
    s3 = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.split('?')[0]?.endsWith('/sysids/sysid')) res.writeHead(200).end(`${ARCHIVED_SYSID}\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => s3.listen(0, '127.0.0.1', r));
    etcd = await startEtcd();
    data = mkdtempSync(join(tmpdir(), 'dingo-live-keys-'));
    const cell = sampleCell();
    const c = cell.containers[CONTAINER]!;
    c.env = c.env.map((e) => (e.startsWith('ETCD_HOST_PORT=') ? `ETCD_HOST_PORT=${etcd.hostPort}` : e));
    c.mounts = [{ Source: join(data, 'data'), Destination: '/data', Mode: '', RW: true }];
    mkdirSync(join(data, 'data'));
    const s3Endpoint = `http://127.0.0.1:${(s3.address() as AddressInfo).port}`;
    const world: LiveCellWorld = { ...cell, s3Endpoint, databases: {}, serving: {}, history: [] };
    daemon = await fakeDaemon(world, resolve(import.meta.dirname, '../../support/live/cell-docker.ts'));
  }, 60_000);
  afterAll(async () => {
    const server = ifStarted(s3);
    if (server) await new Promise((r) => server.close(r));
    ifStarted(daemon)?.remove();
    if (ifStarted(data)) rmSync(data, { recursive: true, force: true });
    await ifStarted(etcd)?.stop();
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

  it('crash-loops when started on an empty /data while /initialize holds another system: running between its exits, RestartCount growing', async () => {
    expect(docker('stop', CONTAINER).status).toBe(0);
    for (const k of [`/service/${SCOPE}/leader`, `/service/${SCOPE}/members/${MEMBER}`])
      await fetch(`${etcd.url}/v2/keys${k}`, { method: 'DELETE' });
    await etcd.put(`/service/${SCOPE}/initialize`, '6263019934712345126');
    const started = Date.now();
    // Not spawnSync: the node's wal-e asks this process's S3 stand-in while the start runs.
    await promisify(execFile)(FAKE_DOCKER, ['--host', daemon.host, 'start', CONTAINER]);
    const state = () => (JSON.parse(docker('inspect', CONTAINER).stdout) as { State: { Running: boolean }; RestartCount: number }[])[0]!;
    // It never stays exited: the restart policy starts it again.
    expect(state().State.Running).toBe(true);
    expect(docker('logs', CONTAINER).stdout).toContain('FATAL: system ID mismatch, node belongs to a different cluster');
    // Its first attempt exits after a few seconds of the cell's clock (this machine's here); the count grows from then on.
    await new Promise((r) => setTimeout(r, Math.max(0, started + MISMATCH_ATTEMPT_MS + 500 - Date.now())));
    expect(state()).toMatchObject({ State: { Running: true }, RestartCount: expect.any(Number) });
    expect(state().RestartCount).toBeGreaterThanOrEqual(1);
    expect((daemon.read() as LiveCellWorld).history).toContain(
      `${CONTAINER} refused to start: etcd's /service/${SCOPE}/initialize holds 6263019934712345126, not ${ARCHIVED_SYSID}`,
    );
  }, 60_000);
});
