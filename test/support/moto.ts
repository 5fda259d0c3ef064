/**
 * A private moto_server (S3 emulator) on loopback for one test file or bench.
 * moto ships in the machine image's Python; it cannot be installed from here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createS3Store, type S3Options } from '../../src/systems/s3/index.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { freePort } from '../../src/systems/ports.js';
import { startRetried } from './started.js';
import { leftover } from './leftovers.js';
import { registerServer } from './server-registry.js';
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

export async function startMoto(): Promise<Moto> {
  return startRetried('moto_server', startMotoOnce);
}

async function startMotoOnce(): Promise<Moto> {
  if (spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(
      'moto_server is not on PATH: the S3 tests need the moto S3 emulator (moto 5.x, `pip install "moto[server]"`); ' +
        'it ships in the project machine image',
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const unregister = registerServer('moto_server', child.pid!, String(port));
  const forget = leftover(() => kill(child));
  const stop = async (): Promise<void> => {
    forget();
    await kill(child);
    unregister();
  };
  try {
    await waitUntilAnswers(endpoint, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
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
    cpuSeconds: () => processCpuSeconds(child.pid!),
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

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
