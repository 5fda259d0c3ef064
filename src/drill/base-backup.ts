/**
 * Restores a wal-e base backup into a data folder: every tar partition streams
 * from S3 through `lzop -dc | tar -x`, several partitions at once, nothing staged
 * on disk but the extracted files themselves.
 *
 * Each partition extracts into its own folder beside the data folder and is then
 * moved in (renames, one partition at a time). Extracting several tars into one
 * tree races in GNU tar: when two create the same parent folder at once, the
 * loser gives up with "Cannot open: No such file or directory".
 */
import { chown, lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import { DrillFailed } from './exit-codes.js';
import { localProcesses, StageFailed } from '../systems/processes.js';
import { hintOf } from './failures.js';
import { messageOf } from '../core/errors.js';

export interface BaseBackupDownload {
  store: ObjectStore;
  bucket: string;
  /** Full keys of the tar partitions. */
  partitions: string[];
  dataDir: string;
  /** Extract as this user (PostgreSQL's), so the files are theirs. */
  as?: RunAs;
  concurrency?: number;
  signal?: AbortSignal;
  /** How lzop and tar run (default: directly on this machine). */
  processes?: LocalProcesses;
}

export interface BaseBackupStats {
  partitions: number;
  compressedBytes: number;
  durationMs: number;
}

/** Move everything under `src` into `dst`, merging folders that exist in both. */
async function mergeTree(src: string, dst: string): Promise<void> {
  for (const entry of await readdir(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    const to = join(dst, entry.name);
    if (entry.isDirectory()) {
      const existing = await lstat(to).catch(() => null);
      if (existing?.isDirectory()) {
        await mergeTree(from, to);
        continue;
      }
    }
    await rename(from, to);
  }
  await rmdir(src);
}

export async function downloadBaseBackup(req: BaseBackupDownload): Promise<BaseBackupStats> {
  const started = Date.now();
  const processes = req.processes ?? localProcesses;
  let compressedBytes = 0;
  const queue = req.partitions.map((key, index) => ({ key, index }));
  const staging: string[] = [];
  // Merges run one at a time; extraction of other partitions goes on meanwhile.
  let merges: Promise<void> = Promise.resolve();

  const extract = async (key: string, into: string): Promise<void> => {
    const body = await req.store.getStream({ bucket: req.bucket, key }).catch((err: unknown) => {
      throw new DrillFailed('could-not-run', messageOf(err), { hint: hintOf(err), cause: err });
    });
    const counted = new PassThrough();
    counted.on('data', (chunk: Buffer) => (compressedBytes += chunk.length));
    body.on('error', (err) => counted.destroy(err));
    body.pipe(counted);
    try {
      await processes.pipeThrough(counted, [
        { argv: ['lzop', '-dc'] },
        { argv: ['tar', '-x', '-f', '-', '-C', into], opts: { as: req.as } },
      ]);
    } catch (err) {
      if (!(err instanceof StageFailed)) {
        throw new DrillFailed('could-not-run', `downloading s3://${req.bucket}/${key} failed: ${messageOf(err)}`, { cause: err });
      }
      throw new DrillFailed('not-restorable', `base backup partition s3://${req.bucket}/${key} could not be restored: ${err.message}`, {
        hint: 'The partition is corrupt or truncated; an older base backup (or a fresh one) is needed.',
        cause: err,
      });
    }
  };

  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      req.signal?.throwIfAborted();
      const into = `${req.dataDir}.partition-${String(job.index).padStart(8, '0')}`;
      staging.push(into);
      await mkdir(into, { mode: 0o700 });
      if (req.as) await chown(into, req.as.uid, req.as.gid);
      try {
        await extract(job.key, into);
      } catch (err) {
        queue.length = 0;
        throw err;
      }
      const merged = merges.then(() => mergeTree(into, req.dataDir));
      merges = merged.catch(() => undefined);
      await merged;
    }
  };
  const n = Math.max(1, Math.min(req.concurrency ?? 4, req.partitions.length));
  try {
    const results = await Promise.allSettled(Array.from({ length: n }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    for (const dir of staging) await rm(dir, { recursive: true, force: true });
  }
  return { partitions: req.partitions.length, compressedBytes, durationMs: Date.now() - started };
}
