/** A throwaway etcd (3.4, v2 API enabled) on 127.0.0.1 for tests, this process's child. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/systems/ports.js';
import { startRetried } from './started.js';
import { leftover } from './leftovers.js';
import { registerServer } from './server-registry.js';

export interface Etcd {
  url: string;
  hostPort: string;
  /** Sets a key through the v2 API; with `ttlSeconds`, one etcd drops by itself when they are up. */
  put(key: string, value: string, ttlSeconds?: number): Promise<void>;
  stop(): Promise<void>;
}

export const etcdAvailable = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;

export async function startEtcd(): Promise<Etcd> {
  return startRetried('etcd', startEtcdOnce);
}

async function startEtcdOnce(): Promise<Etcd> {
  const dir = mkdtempSync(join(tmpdir(), 'dingo-etcd-'));
  const port = await freePort();
  const peer = await freePort();
  const client = `http://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = spawn(
    'etcd',
    [
      '--enable-v2',
      '--name',
      'default',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `default=${peerUrl}`,
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const stop = async (): Promise<void> => {
    forget();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    unregister();
  };
  const unregister = registerServer('etcd', child.pid!, dir, dir);
  const forget = leftover(stop);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${client}/v2/keys/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: client,
    hostPort: `127.0.0.1:${port}`,
    async put(key: string, value: string, ttlSeconds?: number): Promise<void> {
      const res = await fetch(`${client}/v2/keys${key.startsWith('/') ? key : `/${key}`}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ value, ...(ttlSeconds === undefined ? {} : { ttl: String(ttlSeconds) }) }).toString(),
      });
      if (!res.ok) throw new Error(`etcd PUT ${key}: ${res.status} ${await res.text()}`);
    },
    stop,
  };
}
