/**
 * An etcd (3.4, v2 API enabled) on 127.0.0.1 for a test file: in a test run, a server shared by the
 * run's files one at a time, every key deleted between them (server-pool.ts); outside one, a private one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/systems/ports.js';
import { startRetried } from './started.js';
import { leftover, stopOnce } from './leftovers.js';
import { endChild } from './end-child.js';
import { registerServer } from './server-registry.js';
import { claimShared, listShared, poolFolder } from './server-pool.js';

export interface Etcd {
  url: string;
  hostPort: string;
  /** Sets a key through the v2 API; with `ttlSeconds`, one etcd drops by itself when they are up. */
  put(key: string, value: string, ttlSeconds?: number): Promise<void>;
  stop(): Promise<void>;
}

export const etcdAvailable = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;

export async function startEtcd(): Promise<Etcd> {
  const pool = poolFolder('etcd');
  const shared = pool && (await claimShared(pool, reset));
  if (shared) return etcdAt(shared.entry.port, shared.release);
  return startRetried('etcd', () => startEtcdOnce(pool));
}

const urlOf = (port: number): string => `http://127.0.0.1:${String(port)}`;

/**
 * Deletes every key of the server on PORT, each top-level key or folder with all under it (the v2 API
 * cannot delete its root): the next file finds it as a new one, but for its index. False when it does not answer.
 */
async function reset(port: number): Promise<boolean> {
  try {
    const res = await fetch(`${urlOf(port)}/v2/keys/`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return false;
    const root = (await res.json()) as { node: { nodes?: { key: string; dir?: boolean }[] } };
    for (const n of root.node.nodes ?? []) {
      const del = await fetch(`${urlOf(port)}/v2/keys${n.key}?recursive=true${n.dir ? '&dir=true' : ''}`, {
        method: 'DELETE',
        signal: AbortSignal.timeout(5000),
      });
      await del.arrayBuffer();
      // Gone already: a key whose TTL ran out meanwhile.
      if (!del.ok && del.status !== 404) return false;
    }
    return true;
  } catch {
    return false;
  }
}

async function startEtcdOnce(pool: string | undefined): Promise<Etcd> {
  // A shared server's data and output are in the run's folder: it outlives the worker that started it.
  const dir = mkdtempSync(join(pool ?? tmpdir(), 'dingo-etcd-'));
  const port = await freePort();
  const peer = await freePort();
  const client = urlOf(port);
  const peerUrl = `http://127.0.0.1:${peer}`;
  const logFile = join(dir, 'etcd.log');
  const log = pool ? openSync(logFile, 'a', 0o600) : undefined;
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
    { stdio: ['ignore', 'ignore', log ?? 'pipe'] },
  );
  if (log !== undefined) closeSync(log);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const output = (): string => (pool ? readFileSync(logFile, 'utf8').slice(-2000) : stderr);
  const stop = async (): Promise<void> => {
    forget();
    await endChild(child);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    unregister();
  };
  // Its client URL is on its command line: the registry knows it by that, as the tests do.
  const unregister = registerServer('etcd', child.pid!, client, dir, { shared: pool !== undefined });
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
      throw new Error(`etcd did not start: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // From here, the file's stop (etcdAt) is what its leftovers call.
  forget();
  if (!pool) return etcdAt(port, stop);
  // Listed once it answers, and held by this file first; the run's end stops it.
  child.unref();
  return etcdAt(port, listShared(pool, port, child.pid!, reset).release);
}

/** The server on PORT, for one file: `end` gives it back or stops it, once, whether the file calls stop or its setup's leftovers do. */
function etcdAt(port: number, end: () => Promise<void>): Etcd {
  const client = urlOf(port);
  const stop = stopOnce(end);
  return {
    url: client,
    hostPort: `127.0.0.1:${String(port)}`,
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
