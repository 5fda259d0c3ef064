/**
 * Restore throughput of the drill's base backup path (S3 → lzop -dc → tar -x,
 * partitions in parallel) beside the reference pipeline `lzop -dc part | tar -x`
 * run on the same partitions from local disk, in the same run. moto is
 * single-threaded, so only the ratio means anything.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadBaseBackup } from '../src/drill/base-backup.js';
import { runOk } from '../src/systems/processes.js';
import { startMoto } from '../test/support/moto.js';
import { archiveKeys, generateWaleArchive, removeArchive, uploadArchive } from '../test/support/wale-archive.js';

const BUCKET = 'drill-bench';
const PREFIX = 'backups/bench/wal/';

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

export async function benchDrill(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drill-bench-'));
  const moto = await startMoto();
  const archive = await generateWaleArchive({ dir, rowsBefore: 400_000, rowsAfter: 1000, partitions: 4 });
  try {
    await moto.createBucket(BUCKET);
    await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
    const parts = (await archiveKeys(archive.root)).filter((k) => k.includes('/tar_partitions/'));
    const lines: string[] = [];
    const rounds = 3;
    let oursBest = Infinity;
    let refBest = Infinity;
    let expanded = 0;
    for (let round = 0; round < rounds; round++) {
      const ours = join(dir, `ours-${round}`);
      await mkdir(ours);
      const t0 = performance.now();
      await downloadBaseBackup({
        store: moto.store,
        bucket: BUCKET,
        partitions: parts.map((k) => PREFIX + k),
        dataDir: ours,
        concurrency: 4,
      });
      oursBest = Math.min(oursBest, performance.now() - t0);
      expanded = await treeBytes(ours);
      await rm(ours, { recursive: true, force: true });

      const ref = join(dir, `ref-${round}`);
      await mkdir(ref);
      const t1 = performance.now();
      for (const k of parts) {
        await runOk(['sh', '-c', `lzop -dc "$0" | tar -x -f - -C "$1"`, join(archive.root, k), ref]);
      }
      refBest = Math.min(refBest, performance.now() - t1);
      await rm(ref, { recursive: true, force: true });
    }
    const mb = expanded / 1e6;
    const oursRate = mb / (oursBest / 1000);
    const refRate = mb / (refBest / 1000);
    lines.push(`drill base backup: ${parts.length} partitions, ${mb.toFixed(1)} MB expanded, best of ${rounds}`);
    lines.push(`  ours (moto S3 → lzop -dc → tar -x, parallel): ${oursBest.toFixed(0)} ms`);
    lines.push(`  reference (local lzop -dc | tar -x, sequential): ${refBest.toFixed(0)} ms`);
    lines.push(`drill-bench ours=${oursRate.toFixed(1)} reference=${refRate.toFixed(1)} ratio=${(oursRate / refRate).toFixed(2)}`);
    return lines.join('\n');
  } finally {
    await moto.stop();
    await removeArchive(archive);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchDrill());
}
