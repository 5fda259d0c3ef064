/**
 * The archive swap against the manual procedure (`aws s3 rm --recursive` the target, then
 * `aws s3 sync`), and the listing of a 100,000-key archive by inspectArchive against
 * `aws s3 ls --recursive`, each side on the same server in the same run, in two regimes:
 *
 * - emulator: moto, which serves one request at a time, so every client pays the same
 *   per-request cost and the emulator's CPU sets the pace;
 * - simulation of in-region S3: bench/s3-server.ts, an in-memory S3 that serves requests
 *   concurrently and answers each one 20 ms after it arrived.
 *
 * Every request of both sides goes through a counting server (a proxy in front of moto, the
 * simulation itself), and each measurement prints the requests it made. Ratios are
 * aws time / our time.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runSwap } from '../src/archive/swap.js';
import { createS3Store } from '../src/systems/s3.js';
import { inspectArchive } from '../src/archive/inspect.js';
import type { ObjectStore } from '../src/core/seams.js';
import { startMoto } from '../test/support/moto.js';
import { archiveEntries, putAll, seedArchive, sentinelEntry, type SeedOptions } from '../test/support/archive-fixture.js';
import { startBenchS3, type BenchS3, type Counts } from './s3-server.js';

const SMALL_OBJECTS = 10_000;
const LARGE_OBJECTS = 50;
const LARGE_SIZE = 16 * 1024 * 1024;
const INSPECT_KEYS = 100_000;
const LATENCY_MS = 20;
const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW_OURS = 'backups/ca5a7d15-0000-4000-8000-00000000000a/wal/';
const NEW_AWS = 'backups/ca5a7d15-0000-4000-8000-00000000000b/wal/';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One S3 endpoint both sides talk to, with the counts of the requests it received. */
interface Server {
  name: string;
  endpoint: string;
  store: ObjectStore;
  counter: BenchS3;
  /** CPU seconds of the process that serves S3 (moto, or the simulation). */
  cpuSeconds(): number;
  createBucket(name: string): Promise<void>;
  /** Writes an archive without timing it. */
  seed(bucket: string, prefix: string, o: SeedOptions): Promise<void>;
  stop(): Promise<void>;
}

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function motoServer(): Promise<Server> {
  const moto = await startMoto();
  const proxy = await startBenchS3({ upstream: moto.endpoint });
  const store = createS3Store({ ...moto.options, endpoint: proxy.endpoint });
  return {
    name: 'moto',
    endpoint: proxy.endpoint,
    store,
    counter: proxy,
    cpuSeconds: () => moto.cpuSeconds(),
    createBucket: (b) => moto.createBucket(b),
    seed: (bucket, prefix, o) => seedArchive(store, bucket, prefix, o),
    async stop() {
      await proxy.stop();
      await moto.stop();
    },
  };
}

async function simulatedServer(): Promise<Server> {
  const sim = await startBenchS3({ latencyMs: LATENCY_MS });
  const store = createS3Store({
    endpoint: sim.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    name: `simulated S3, ${LATENCY_MS} ms per request`,
    endpoint: sim.endpoint,
    store,
    counter: sim,
    cpuSeconds: () => sim.cpuSeconds(),
    createBucket: (b) => sim.createBucket(b),
    async seed(bucket, prefix, o) {
      await sim.seed(
        bucket,
        archiveEntries(prefix, o).map(([k, v]) => [k, v.toString()]),
      );
      for (const b of o.backups) await sim.seed(bucket, [sentinelEntry(prefix, b)]);
    },
    stop: () => sim.stop(),
  };
}

function aws(server: Server, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('aws', ['--endpoint-url', server.endpoint, ...args], {
      env: { ...process.env, ...AWS_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`aws ${args.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`)),
    );
  });
}

function formatCounts(c: Counts): string {
  const total = Object.values(c).reduce((s, n) => s + n, 0);
  const parts = Object.entries(c)
    .sort(([, a], [, b]) => b - a)
    .map(([op, n]) => `${op} ${n}`);
  return `${total} requests (${parts.join(', ')})`;
}

interface Measured<T> {
  seconds: number;
  value: T;
  counts: Counts;
}

/** Times `fn`, with the server's busy share and the requests it received. */
async function measure<T>(server: Server, what: string, fn: () => Promise<T>): Promise<Measured<T>> {
  await server.counter.reset();
  const cpu = server.cpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const busy = server.cpuSeconds() - cpu;
  const counts = await server.counter.counts();
  log(`  ${what}: ${seconds.toFixed(2)} s`);
  log(`    server busy ${busy.toFixed(2)} s (${Math.round((100 * busy) / seconds)}%); ${formatCounts(counts)}`);
  return { seconds, value, counts };
}

async function timedSeed(what: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await fn();
  log(`  seed ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`);
}

/** The new instance's own small archive, at both targets. */
async function seedTargets(server: Server, bucket: string): Promise<void> {
  for (const prefix of [NEW_OURS, NEW_AWS]) {
    await server.seed(bucket, prefix, { segments: 3, backups: ['base_000000010000000000000002_00000028'], sysid: '6262323410585460999' });
  }
}

async function swapBoth(server: Server, bucket: string): Promise<number> {
  const ours = await measure(server, 'ours (quarantine, copy, verify)', () =>
    runSwap(server.store, { bucket, prefix: OLD }, { bucket, prefix: NEW_OURS }, { stamp: '20260317T180520Z' }),
  );
  if (!ours.value.verify.ok) throw new Error('our swap did not verify');
  const theirs = await measure(server, 'aws s3 rm --recursive + aws s3 sync', async () => {
    await aws(server, ['s3', 'rm', '--recursive', '--quiet', `s3://${bucket}/${NEW_AWS}`]);
    await aws(server, ['s3', 'sync', '--quiet', `s3://${bucket}/${OLD}`, `s3://${bucket}/${NEW_AWS}`]);
  });
  const ratio = theirs.seconds / ours.seconds;
  log(`  ratio aws/ours: ${ratio.toFixed(2)}`);
  return ratio;
}

async function benchSmall(server: Server): Promise<number> {
  const bucket = 'bench-small';
  await server.createBucket(bucket);
  await timedSeed(`${SMALL_OBJECTS} small objects`, async () => {
    await server.seed(bucket, OLD, {
      segments: SMALL_OBJECTS - 4,
      backups: ['base_000000010000000000000002_00000040'],
      sysid: '6262323410585460850',
    });
    await seedTargets(server, bucket);
  });
  return swapBoth(server, bucket);
}

async function benchLarge(server: Server): Promise<number> {
  const bucket = 'bench-large';
  await server.createBucket(bucket);
  await timedSeed(`${LARGE_OBJECTS} x 16 MiB`, async () => {
    const body = Buffer.alloc(LARGE_SIZE, 7);
    const base = `${OLD}basebackups_005/base_000000010000000000000002_00000040`;
    const parts: Array<[string, Buffer]> = Array.from({ length: LARGE_OBJECTS }, (_, i) => {
      const b = Buffer.from(body);
      b.writeUInt32BE(i, 0);
      return [`${base}/tar_partitions/part_${String(i).padStart(8, '0')}.tar.lzo`, b];
    });
    await putAll(server.store, bucket, parts, 4);
    await putAll(server.store, bucket, [[`${base}_backup_stop_sentinel.json`, '{}']]);
    await seedTargets(server, bucket);
  });
  return swapBoth(server, bucket);
}

function lists(c: Counts): number {
  return c.ListObjectsV2 ?? 0;
}

async function benchInspect(server: Server): Promise<number> {
  const bucket = 'bench-inspect';
  await server.createBucket(bucket);
  await timedSeed(`${INSPECT_KEYS} keys`, () =>
    server.seed(bucket, OLD, { segments: INSPECT_KEYS - 4, backups: ['base_000000010000000000000002_00000040'], sysid: '1' }),
  );
  const url = `s3://${bucket}/${OLD}`;
  const ours = await measure(server, 'inspectArchive', () => inspectArchive(server.store, url));
  if (ours.value.objects !== INSPECT_KEYS) throw new Error(`inspectArchive saw ${ours.value.objects} objects, not ${INSPECT_KEYS}`);
  const theirs = await measure(server, 'aws s3 ls --recursive', () => aws(server, ['s3', 'ls', '--recursive', url]));
  const ratio = theirs.seconds / ours.seconds;
  log(`  LIST requests: ours ${lists(ours.counts)}, aws-cli ${lists(theirs.counts)}`);
  log(`  ratio aws/ours: ${ratio.toFixed(2)}`);
  return ratio;
}

async function regime(make: () => Promise<Server>, title: string): Promise<{ small: number; large: number; inspect: number }> {
  const server = await make();
  try {
    log(`-- ${title}`);
    log(`small: ${SMALL_OBJECTS} objects`);
    const small = await benchSmall(server);
    log(`large: ${LARGE_OBJECTS} x 16 MiB`);
    const large = await benchLarge(server);
    log(`inspect: ${INSPECT_KEYS} keys`);
    const inspect = await benchInspect(server);
    return { small, large, inspect };
  } finally {
    await server.stop();
  }
}

/** Both regimes, or one of them ('sim' or 'moto'). */
export async function benchSwap(only?: 'sim' | 'moto'): Promise<string> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const f = (n: number): string => n.toFixed(2);
  const parts: string[] = [];
  if (only !== 'moto') {
    const sim = await regime(
      simulatedServer,
      `SIMULATION of in-region S3: in-memory, concurrent, ${LATENCY_MS} ms per request (bench/s3-server.ts)`,
    );
    parts.push(
      `sim${LATENCY_MS}ms_small=${f(sim.small)} sim${LATENCY_MS}ms_large=${f(sim.large)} sim${LATENCY_MS}ms_inspect=${f(sim.inspect)} (simulated S3)`,
    );
  }
  if (only !== 'sim') {
    const moto = await regime(motoServer, 'EMULATOR: moto, one request at a time');
    parts.unshift(`small=${f(moto.small)} large=${f(moto.large)} inspect=${f(moto.inspect)} (moto)`);
  }
  const line = `swap-bench ${parts.join(' ')}`;
  log(line);
  return line;
}
