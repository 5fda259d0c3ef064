/**
 * moto_server (S3 emulator) on loopback for a test file or a bench: in a test run, a server shared
 * by the run's files one at a time, emptied between them; in a bench, a private one.
 * moto ships in the machine image's Python; it cannot be installed from here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS3Store, type S3Options } from '../../src/systems/s3/index.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { freePort } from '../../src/systems/ports.js';
import { startRetried } from './started.js';
import { leftover, stopOnce } from './leftovers.js';
import { endChild } from './end-child.js';
import { registerServer } from './server-registry.js';
import { claimShared, listShared, poolFolder } from './server-pool.js';
import { Redactor } from '../../src/core/redact.js';

export interface Moto {
  endpoint: string;
  port: number;
  /** CPU seconds the emulator has used so far (user + system), from /proc. */
  cpuSeconds(): number;
  store: ObjectStore;
  /** Options for createS3Store against this emulator (tests add their own tuning). */
  options: S3Options;
  /** Environment for the `aws` CLI and child processes talking to this emulator. */
  env: Record<string, string>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const MOTO_CREDENTIALS = { accessKeyId: 'MOTOACCESSKEY', secretAccessKey: 'moto-secret-access-key' };

/**
 * A moto server for one test file: one of the run's shared servers no other file holds, emptied
 * (moto's reset) when a file gives it back, else one started and shared from then on (server-pool.ts).
 * Outside a vitest run (benches), a private server. `stop()` gives a shared one back, or stops a private one.
 */
export async function startMoto(): Promise<Moto> {
  const pool = poolFolder('moto');
  const shared = pool && (await claimShared(pool, reset));
  if (shared) return motoAt(shared.entry.port, shared.entry.pid, shared.release);
  return startRetried('moto_server', () => startMotoOnce(pool));
}

/** Empties the server on PORT (every bucket and object); false when it does not answer. */
async function reset(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${String(port)}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function startMotoOnce(pool: string | undefined): Promise<Moto> {
  if (spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(
      'moto_server is not on PATH: the S3 tests need the moto S3 emulator (moto 5.x, `pip install "moto[server]"`); ' +
        'it ships in the project machine image',
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // A shared server outlives the worker that started it: its output goes to a file, not to a pipe that worker holds.
  const logFile = pool ? join(pool, `${String(port)}.log`) : undefined;
  const log = logFile ? openSync(logFile, 'a', 0o600) : undefined;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', log ?? 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  if (log !== undefined) closeSync(log);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const output = (): string => (logFile ? readFileSync(logFile, 'utf8').slice(0, 4000) : stderr);
  const unregister = registerServer('moto_server', child.pid!, String(port), '', { shared: pool !== undefined });
  const forgetStart = leftover(() => endChild(child));
  try {
    await waitUntilAnswers(endpoint, child, output);
  } catch (err) {
    forgetStart();
    await endChild(child);
    unregister();
    throw err;
  }
  forgetStart();
  if (!pool) {
    return motoAt(port, child.pid!, async () => {
      await endChild(child);
      unregister();
    });
  }
  // Listed only once it answers, and held by this file first.
  child.unref();
  return motoAt(port, child.pid!, listShared(pool, port, child.pid!, reset).release);
}

/** The server on PORT, for one file: `end` gives it back or stops it, once, whether the file calls stop or its setup's leftovers do. */
function motoAt(port: number, pid: number, end: () => Promise<void>): Moto {
  const endpoint = `http://127.0.0.1:${String(port)}`;
  const stop = stopOnce(end);
  const options: S3Options = {
    redactor: new Redactor(),
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: MOTO_CREDENTIALS,
  };
  return {
    endpoint,
    port,
    cpuSeconds: () => processCpuSeconds(pid),
    store: createS3Store(options),
    options,
    env: {
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async createBucket(name: string) {
      const res = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!res.ok) throw new Error(`could not create bucket ${name} in moto: HTTP ${res.status} ${await res.text()}`);
    },
    stop,
  };
}

async function waitUntilAnswers(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      // Another server on the port (it was free when asked) answers too, but not this page.
      if (!res.ok) throw new Error(`${endpoint}/moto-api/ answered HTTP ${String(res.status)}: not moto`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 20 s: ${log()}`);
}

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
