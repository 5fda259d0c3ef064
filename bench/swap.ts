/**
 * The archive swap against `aws s3 sync` (the manual procedure: `aws s3 rm`
 * the target, then sync), on one moto emulator in one run, and the listing of
 * a 100,000-key archive by inspectArchive against `aws s3 ls --recursive`.
 * moto is single-threaded, so absolute times say little about real S3: the
 * ratios (aws time / our time) are the figures.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runSwap } from '../src/archive/swap.js';
import { inspectArchive } from '../src/wale/inspect.js';
import type { ObjectStore } from '../src/systems/types.js';
import { startMoto, type Moto } from '../test/support/moto.js';
import { putAll, seedArchive } from '../test/archive/helpers/archive-fixture.js';

const SMALL_OBJECTS = 10_000;
const LARGE_OBJECTS = 50;
const LARGE_SIZE = 16 * 1024 * 1024;
const INSPECT_KEYS = 100_000;
const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW_OURS = 'backups/ca5a7d15-0000-4000-8000-00000000000a/wal/';
const NEW_AWS = 'backups/ca5a7d15-0000-4000-8000-00000000000b/wal/';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function aws(moto: Moto, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('aws', ['--endpoint-url', moto.endpoint, ...args], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`aws ${args.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`))));
  });
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  log(`  ${what}: ${seconds.toFixed(2)} s`);
  return { seconds, value };
}

/** The new instance's own small archive, at both targets. */
async function seedTargets(store: ObjectStore, bucket: string): Promise<void> {
  for (const prefix of [NEW_OURS, NEW_AWS]) {
    await seedArchive(store, bucket, prefix, { segments: 3, backups: ['base_000000010000000000000002_00000028'], sysid: '6262323410585460999' });
  }
}

/**
 * moto serves one request at a time, so when it is busy all the time the emulator, not the
 * client, sets the pace. Its CPU time beside each wall time shows how close each side came.
 */
async function serverBound<T>(moto: Moto, what: string, fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const before = moto.cpuSeconds();
  const r = await timed(what, fn);
  const busy = moto.cpuSeconds() - before;
  log(`    moto busy ${busy.toFixed(2)} s of ${r.seconds.toFixed(2)} s (${Math.round((100 * busy) / r.seconds)}%)`);
  return r;
}

async function swapBoth(moto: Moto, bucket: string): Promise<number> {
  const ours = await serverBound(moto, 'ours (quarantine, copy, verify)', () =>
    runSwap(moto.store, { bucket, prefix: OLD }, { bucket, prefix: NEW_OURS }, { stamp: '20260317T180520Z' }),
  );
  if (!ours.value.verify.ok) throw new Error('our swap did not verify');
  const theirs = await serverBound(moto, 'aws s3 rm --recursive + aws s3 sync', async () => {
    await aws(moto, ['s3', 'rm', '--recursive', '--quiet', `s3://${bucket}/${NEW_AWS}`]);
    await aws(moto, ['s3', 'sync', '--quiet', `s3://${bucket}/${OLD}`, `s3://${bucket}/${NEW_AWS}`]);
  });
  const ratio = theirs.seconds / ours.seconds;
  log(`  ratio aws/ours: ${ratio.toFixed(2)}`);
  return ratio;
}

async function benchSmall(moto: Moto): Promise<number> {
  const bucket = 'bench-small';
  await moto.createBucket(bucket);
  await timed(`seed ${SMALL_OBJECTS} small objects`, async () => {
    await seedArchive(moto.store, bucket, OLD, {
      segments: SMALL_OBJECTS - 4,
      backups: ['base_000000010000000000000002_00000040'],
      sysid: '6262323410585460850',
    });
    await seedTargets(moto.store, bucket);
  });
  return swapBoth(moto, bucket);
}

async function benchLarge(moto: Moto): Promise<number> {
  const bucket = 'bench-large';
  await moto.createBucket(bucket);
  await timed(`seed ${LARGE_OBJECTS} x 16 MiB`, async () => {
    const body = Buffer.alloc(LARGE_SIZE, 7);
    const base = `${OLD}basebackups_005/base_000000010000000000000002_00000040`;
    const parts: Array<[string, Buffer]> = Array.from({ length: LARGE_OBJECTS }, (_, i) => {
      const b = Buffer.from(body);
      b.writeUInt32BE(i, 0);
      return [`${base}/tar_partitions/part_${String(i).padStart(8, '0')}.tar.lzo`, b];
    });
    await putAll(moto.store, bucket, parts, 4);
    await putAll(moto.store, bucket, [[`${base}_backup_stop_sentinel.json`, '{}']]);
    await seedTargets(moto.store, bucket);
  });
  return swapBoth(moto, bucket);
}

async function benchInspect(moto: Moto): Promise<number> {
  const bucket = 'bench-inspect';
  await moto.createBucket(bucket);
  await timed(`seed ${INSPECT_KEYS} keys`, () =>
    seedArchive(moto.store, bucket, OLD, { segments: INSPECT_KEYS - 4, backups: ['base_000000010000000000000002_00000040'], sysid: '1' }),
  );
  const url = `s3://${bucket}/${OLD}`;
  const ours = await serverBound(moto, 'inspectArchive', () => inspectArchive(moto.store, url));
  const theirs = await serverBound(moto, 'aws s3 ls --recursive', () => aws(moto, ['s3', 'ls', '--recursive', url]));
  const ratio = theirs.seconds / ours.seconds;
  log(`  ratio aws/ours: ${ratio.toFixed(2)}`);
  return ratio;
}

export async function benchSwap(): Promise<string> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const moto = await startMoto();
  try {
    log(`small: ${SMALL_OBJECTS} objects`);
    const small = await benchSmall(moto);
    log(`large: ${LARGE_OBJECTS} x 16 MiB`);
    const large = await benchLarge(moto);
    log(`inspect: ${INSPECT_KEYS} keys`);
    const inspect = await benchInspect(moto);
    const line = `swap-bench small=${small.toFixed(2)} large=${large.toFixed(2)} inspect=${inspect.toFixed(2)}`;
    log(line);
    return line;
  } finally {
    await moto.stop();
  }
}
