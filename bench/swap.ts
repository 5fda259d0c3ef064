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
import { Redactor } from '../src/core/redact.js';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DEFAULT_COPY_CONCURRENCY } from '../src/archive/copy.js';
import { runSwap } from '../src/archive/swap.js';
import { createS3Store } from '../src/systems/s3/index.js';
import { inspectArchive } from '../src/archive/inspect.js';
import type { ObjectStore } from '../src/core/seams.js';
import { archiveEntries, putAll, sentinelEntry, type SeedOptions } from '../test/support/archive-fixture.js';
import { startSeededMoto } from './moto-seeded.js';
import { startBenchS3, type BenchS3, type Counts } from './s3-server.js';

const SMALL_OBJECTS = 10_000;
const LARGE_OBJECTS = 50;
const LARGE_SIZE = 16 * 1024 * 1024;
const INSPECT_KEYS = 100_000;
const LATENCY_MS = 20;
/** aws-cli's default max_concurrent_requests. */
const AWS_CLI_CONCURRENCY = 10;
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
  /** Whether it is the simulation, whose every request takes LATENCY_MS. */
  simulated: boolean;
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
  const moto = await startSeededMoto();
  const proxy = await startBenchS3({ upstream: moto.endpoint });
  const store = createS3Store({
    redactor: new Redactor(),
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    name: 'moto',
    simulated: false,
    endpoint: proxy.endpoint,
    store,
    counter: proxy,
    cpuSeconds: () => moto.cpuSeconds(),
    createBucket: (b) => moto.createBucket(b),
    seed: (bucket, prefix, o) => seedEntries(moto, bucket, prefix, o),
    async stop() {
      await proxy.stop();
      await moto.stop();
    },
  };
}

/** An archive written without a request per object; its sentinels after the rest, as wal-e writes them. */
async function seedEntries(
  server: { seed(bucket: string, entries: Array<[string, string]>): Promise<void> },
  bucket: string,
  prefix: string,
  o: SeedOptions,
): Promise<void> {
  await server.seed(
    bucket,
    archiveEntries(prefix, o).map(([k, v]) => [k, v.toString()]),
  );
  for (const b of o.backups) await server.seed(bucket, [sentinelEntry(prefix, b)]);
}

async function simulatedServer(): Promise<Server> {
  const sim = await startBenchS3({ latencyMs: LATENCY_MS });
  const store = createS3Store({
    redactor: new Redactor(),
    endpoint: sim.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    name: `simulated S3, ${LATENCY_MS} ms per request`,
    simulated: true,
    endpoint: sim.endpoint,
    store,
    counter: sim,
    cpuSeconds: () => sim.cpuSeconds(),
    createBucket: (b) => sim.createBucket(b),
    seed: (bucket, prefix, o) => seedEntries(sim, bucket, prefix, o),
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
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`aws ${args.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`));
    });
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

/**
 * CPU seconds of the client: this process and the children it has waited for (the aws-cli
 * runs; the servers are still running, so they are not in it). From /proc/self/stat, in ticks.
 */
function clientCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of stat(5); fields[0] is field 3.
  return fields.slice(11, 15).reduce((s, f) => s + Number(f), 0) / 100;
}

/**
 * What the simulation's latency alone costs a side that keeps `concurrency` requests in flight:
 * its LIST pages one after the other, every other request `concurrency` at a time.
 */
function latencyFloor(counts: Counts, concurrency: number): number {
  const pages = counts.ListObjectsV2 ?? 0;
  const others = Object.values(counts).reduce((s, n) => s + n, 0) - pages;
  return ((pages + Math.ceil(others / concurrency)) * LATENCY_MS) / 1000;
}

/**
 * Times `fn`, with the server's busy share, the client's CPU and the requests it received; on the
 * simulation, beside the floor its latency sets for a side with `concurrency` requests in flight.
 */
async function measure<T>(server: Server, what: string, fn: () => Promise<T>, concurrency?: number): Promise<Measured<T>> {
  await server.counter.reset();
  const cpu = server.cpuSeconds();
  const client = clientCpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const busy = server.cpuSeconds() - cpu;
  const clientBusy = clientCpuSeconds() - client;
  const counts = await server.counter.counts();
  log(`  ${what}: ${seconds.toFixed(2)} s`);
  log(
    `    server busy ${busy.toFixed(2)} s (${Math.round((100 * busy) / seconds)}%); client CPU ${clientBusy.toFixed(2)} s; ${formatCounts(counts)}`,
  );
  if (server.simulated && concurrency !== undefined) {
    const floor = latencyFloor(counts, concurrency);
    log(
      `    floor of ${LATENCY_MS} ms a request, ${concurrency} at once: ${floor.toFixed(2)} s (${Math.round((100 * floor) / seconds)}% of the time taken)`,
    );
  }
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
  const ours = await measure(
    server,
    'ours (quarantine, copy, verify)',
    () =>
      runSwap(server.store, { bucket, prefix: OLD }, { bucket, prefix: NEW_OURS }, { redactor: new Redactor(), stamp: '20260317T180520Z' }),
    DEFAULT_COPY_CONCURRENCY,
  );
  if (!ours.value.verify.ok) throw new Error('our swap did not verify');
  const theirs = await measure(
    server,
    'aws s3 rm --recursive + aws s3 sync',
    async () => {
      await aws(server, ['s3', 'rm', '--recursive', '--quiet', `s3://${bucket}/${NEW_AWS}`]);
      await aws(server, ['s3', 'sync', '--quiet', `s3://${bucket}/${OLD}`, `s3://${bucket}/${NEW_AWS}`]);
    },
    AWS_CLI_CONCURRENCY,
  );
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
  const ours = await measure(server, 'inspectArchive', () => inspectArchive(server.store, url, { redactor: new Redactor() }));
  if (ours.value.objects !== INSPECT_KEYS) throw new Error(`inspectArchive saw ${ours.value.objects} objects, not ${INSPECT_KEYS}`);
  const theirs = await measure(server, 'aws s3 ls --recursive', () => aws(server, ['s3', 'ls', '--recursive', url]));
  const ratio = theirs.seconds / ours.seconds;
  log(`  LIST requests: ours ${lists(ours.counts)}, aws-cli ${lists(theirs.counts)}`);
  log(`  ratio aws/ours: ${ratio.toFixed(2)}`);
  return ratio;
}

type Part = 'inspect' | 'small' | 'large';
const ALL: Part[] = ['inspect', 'small', 'large'];

/** The ratios of the parts asked for, on one server started and stopped here. */
async function regime(make: () => Promise<Server>, title: string, parts: Part[]): Promise<Partial<Record<Part, number>>> {
  const server = await make();
  const stop = onInterrupt(() => server.stop());
  try {
    log(`-- ${title}`);
    const out: Partial<Record<Part, number>> = {};
    for (const part of parts) {
      if (part === 'inspect') {
        log(`inspect: ${INSPECT_KEYS} keys`);
        out.inspect = await benchInspect(server);
      } else if (part === 'small') {
        log(`swap, small: ${SMALL_OBJECTS} objects`);
        out.small = await benchSmall(server);
      } else {
        log(`swap, large: ${LARGE_OBJECTS} x 16 MiB`);
        out.large = await benchLarge(server);
      }
    }
    return out;
  } finally {
    stop();
    await server.stop();
  }
}

/** Servers are stopped on Ctrl-C or SIGTERM too, before the benchmark exits. */
function onInterrupt(stop: () => Promise<void>): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function ratios(r: Partial<Record<Part, number>>, label: string): string {
  return Object.entries(r)
    .map(([k, v]) => `${label}${k}=${v.toFixed(2)}`)
    .join(' ');
}

const SIM_TITLE = `SIMULATION of in-region S3 (not S3): in-memory, concurrent, ${LATENCY_MS} ms per request (bench/s3-server.ts)`;
const MOTO_TITLE = 'EMULATOR: moto, serving one request at a time (bench/moto-seeded.py)';

/** Both regimes, or one of them ('sim' or 'moto'); `parts` of each (default: all). */
export async function benchSwap(only?: 'sim' | 'moto', parts: Part[] = ALL): Promise<string> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const out: string[] = [];
  if (only !== 'sim') out.push(`${ratios(await regime(motoServer, MOTO_TITLE, parts), 'moto_')} (moto)`);
  if (only !== 'moto') {
    out.push(
      `${ratios(await regime(simulatedServer, SIM_TITLE, parts), `sim${LATENCY_MS}ms_`)} (simulated S3, ${LATENCY_MS} ms per request)`,
    );
  }
  const line = `swap-bench ${out.join(' ')} (ratios: aws-cli time / ours)`;
  log(line);
  return line;
}

/** `archive inspect` of 100,000 keys beside `aws s3 ls --recursive`, on moto. */
export async function benchInspectMoto(): Promise<string> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const r = await regime(motoServer, MOTO_TITLE, ['inspect']);
  const line = `inspect-bench moto_inspect=${r.inspect!.toFixed(2)} (aws s3 ls --recursive time / ours; target >= 1.0, goal 1.5)`;
  log(line);
  return line;
}
