/**
 * The emulator regime's S3: moto (bench/moto-seeded.py), seeded straight into its backend.
 * Writing 100,000 keys through PUT requests took over half an hour on a busy 2-core machine;
 * the benchmark measures listing and copying, not seeding.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds } from './s3-server.js';

export interface SeededMoto {
  endpoint: string;
  cpuSeconds(): number;
  createBucket(name: string): Promise<void>;
  /** Objects written into moto's backend directly, no request each. */
  seed(bucket: string, entries: Array<[string, string]>): Promise<void>;
  stop(): Promise<void>;
}

/** bench/moto-seeded.py, from bench/ or from dist/bench/. */
function script(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, 'moto-seeded.py'), join(here, '..', '..', 'bench', 'moto-seeded.py')]) if (existsSync(p)) return p;
  throw new Error(`bench/moto-seeded.py not found beside ${here}`);
}

export async function startSeededMoto(): Promise<SeededMoto> {
  const child = spawn('python3', [script()], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`moto (bench/moto-seeded.py) stopped: ${stderr.slice(-2000) || 'no output'}`);
    return r.value;
  };
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const first = await Promise.race([next(), exited.then(() => '')]);
  const m = /^listening (\d+)$/.exec(first);
  if (!m) {
    child.kill('SIGTERM');
    throw new Error(`moto (bench/moto-seeded.py) did not start (is moto 5.x installed for python3?): ${stderr.slice(-2000)}`);
  }
  const endpoint = `http://127.0.0.1:${m[1]}`;
  return {
    endpoint,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    async createBucket(name) {
      const res = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`could not create bucket ${name} in moto: HTTP ${res.status}`);
    },
    async seed(bucket, entries) {
      for (let i = 0; i < entries.length; i += 20_000) {
        child.stdin.write(JSON.stringify({ bucket, entries: entries.slice(i, i + 20_000) }) + '\n');
        const answer = await next();
        if (!answer.startsWith('seeded ')) throw new Error(`seeding ${bucket} in moto failed: ${answer} ${stderr.slice(-2000)}`);
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
