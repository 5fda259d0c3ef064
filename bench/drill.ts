/**
 * The drill's fetch of an archive (base backup partitions through lzop -dc | tar -x, and the WAL
 * replay asks for, decompressed, both at once) beside what an operator does by hand on the same
 * archive in the same S3: `aws s3 cp --recursive` of the base backup, `lzop -dc | tar -x` of each
 * partition, then each WAL file fetched with `aws s3 cp` and `lzop -d`, one by one. moto is
 * single-threaded, so only the ratio means anything: reference time / ours (target ≥ 1.5).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadBaseBackup } from '../src/drill/base-backup.js';
import { downloadWal } from '../src/drill/wal-download.js';
import { localProcesses } from '../src/systems/local-processes.js';
import { runOk } from '../src/systems/processes.js';
import { MOTO_CREDENTIALS, startMoto } from '../test/support/moto.js';
import { archiveKeys, generateWaleArchive, removeArchive, uploadArchive } from '../test/support/wale-archive.js';

const BUCKET = 'drill-bench';
const PREFIX = 'backups/bench/wal/';

/** aws-cli against moto, as an operator on the jumpbox runs it. */
function aws(endpoint: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('aws', ['--endpoint-url', endpoint, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`aws ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/** The manual pipeline, into `dir`. */
async function byHand(endpoint: string, latest: string, walNames: string[], dir: string): Promise<void> {
  const base = join(dir, 'base');
  const data = join(dir, 'data');
  const wal = join(dir, 'wal');
  for (const d of [base, data, wal]) await mkdir(d);
  await aws(endpoint, ['s3', 'cp', '--recursive', '--quiet', `s3://${BUCKET}/${PREFIX}basebackups_005/${latest}/`, base]);
  const parts = (await readdir(join(base, 'tar_partitions'))).sort();
  for (const part of parts) await runOk(['sh', '-c', 'lzop -dc "$0" | tar -x -f - -C "$1"', join(base, 'tar_partitions', part), data]);
  for (const name of walNames) {
    const lzo = join(wal, `${name}.lzo`);
    await aws(endpoint, ['s3', 'cp', '--quiet', `s3://${BUCKET}/${PREFIX}wal_005/${name}.lzo`, lzo]);
    await runOk(['lzop', '-d', '-q', '-o', join(wal, name), lzo]);
  }
}

export async function benchDrill(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drill-bench-'));
  const moto = await startMoto();
  const archive = await generateWaleArchive({ dir, rowsBefore: 400_000, rowsAfter: 20_000, extraWalSwitches: 24, partitions: 4 });
  try {
    await moto.createBucket(BUCKET);
    await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
    const keys = await archiveKeys(archive.root);
    const parts = keys.filter((k) => k.includes(`${archive.latest}/tar_partitions/`));
    const startSegment = archive.latest.slice('base_'.length, 'base_'.length + 24);
    const walNames = keys
      .map((k) => /^wal_005\/(.+)\.lzo$/.exec(k)?.[1])
      .filter((n): n is string => n !== undefined && (n.endsWith('.history') || n.slice(0, 24) >= startSegment));
    const rounds = 3;
    let oursBest = Infinity;
    let refBest = Infinity;
    for (let round = 0; round < rounds; round++) {
      const ours = join(dir, `ours-${round}`);
      await mkdir(join(ours, 'data'), { recursive: true });
      await mkdir(join(ours, 'wal'));
      const t0 = performance.now();
      const from = { store: moto.store, bucket: BUCKET, processes: localProcesses };
      await Promise.all([
        downloadWal({ ...from, prefix: PREFIX, startSegment, pgMajor: '15', into: join(ours, 'wal') }),
        downloadBaseBackup({ ...from, partitions: parts.map((k) => PREFIX + k), dataDir: join(ours, 'data'), concurrency: 4 }),
      ]);
      oursBest = Math.min(oursBest, performance.now() - t0);
      await rm(ours, { recursive: true, force: true });

      const ref = join(dir, `ref-${round}`);
      await mkdir(ref);
      const t1 = performance.now();
      await byHand(moto.endpoint, archive.latest, walNames, ref);
      refBest = Math.min(refBest, performance.now() - t1);
      await rm(ref, { recursive: true, force: true });
    }
    return [
      `drill fetch: base backup of ${parts.length} partitions and ${walNames.length} WAL files, best of ${rounds}`,
      `  ours (S3 → lzop -dc → tar -x in parallel, WAL alongside): ${oursBest.toFixed(0)} ms`,
      `  by hand (aws s3 cp --recursive, lzop -dc | tar -x, then aws s3 cp + lzop -d per WAL file): ${refBest.toFixed(0)} ms`,
      `drill-bench ratio=${(refBest / oursBest).toFixed(2)} (by-hand time / ours; target >= 1.5)`,
    ].join('\n');
  } finally {
    await moto.stop();
    await removeArchive(archive);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchDrill());
}
