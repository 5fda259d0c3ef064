/**
 * Restores a wal-e base backup into a data folder: every tar partition streams from S3 through
 * `lzop -dc` into node-tar, several partitions at once, nothing staged on disk but the extracted
 * files themselves.
 *
 * A tenant wrote the tar and the drill runs as root, so every member is judged before anything of
 * it is written (tar-admission.ts): only regular files and folders inside the data folder, owned by
 * the server's account, 0600 and 0700; anything else stops the drill naming the member and the
 * partition. What the partition extracted before it stays in its own folder in the scratch folder
 * and is removed.
 *
 * Each partition extracts into its own folder beside the data folder and is then moved in (renames,
 * one partition at a time), so two partitions never write one tree at once.
 */
import { lstat, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, Writable } from 'node:stream';
import type { ReadEntry } from 'tar';
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import { DrillFailed } from './exit-codes.js';
import { StageFailed } from '../systems/processes.js';
import { gpgFailure, hintOf } from './failures.js';
import { peekStart } from '../core/peek.js';
import { plainStages } from '../wale/encryption.js';
import { messageOf } from '../core/errors.js';
import { admit, DIR_MODE, FILE_MODE, memberName } from './tar-admission.js';
import { ownedFolder } from './workdir.js';
import { diskFullFailure } from './local-room.js';

export interface BaseBackupDownload {
  store: ObjectStore;
  bucket: string;
  /** Full keys of the tar partitions. */
  partitions: string[];
  dataDir: string;
  /** The files extracted are this user's (PostgreSQL's). */
  as?: RunAs;
  concurrency?: number;
  signal?: AbortSignal;
  /** How lzop runs. */
  processes: LocalProcesses;
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
  const started = performance.now();
  const processes = req.processes;
  let compressedBytes = 0;
  const queue = req.partitions.map((key, index) => ({ key, index }));
  const staging: string[] = [];
  // Merges run one at a time; extraction of other partitions goes on meanwhile.
  let merges: Promise<void> = Promise.resolve();
  /** The downloads under way, and the first failure: it stops the others rather than wait for them to finish. */
  const downloading = new Set<Readable>();
  let failure: { reason: unknown } | undefined;
  const stop = (reason: unknown): void => {
    if (failure) return;
    failure = { reason };
    queue.length = 0;
    for (const body of downloading) body.destroy(new Error('stopped: another partition of the base backup failed'));
  };
  const onAbort = (): void => {
    stop(req.signal?.reason);
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });

  const extract = async (key: string, into: string): Promise<void> => {
    const body = await req.store.getStream({ bucket: req.bucket, key }).catch((err: unknown) => {
      throw new DrillFailed('could-not-run', messageOf(err), { hint: hintOf(err), cause: err });
    });
    downloading.add(body);
    const where = `s3://${req.bucket}/${key}`;
    try {
      if (failure) throw failure.reason;
      await extractBody(body, where, into);
    } finally {
      // Whatever stopped the extraction, the download goes with it: a body left unread held its connection
      // open, and the drill's process with it, for a minute after the drill had said why it failed.
      downloading.delete(body);
      body.destroy();
    }
  };

  const extractBody = async (body: Readable, where: string, into: string): Promise<void> => {
    const head = await peekStart(body).catch((err: unknown) => {
      throw new DrillFailed('could-not-run', `downloading ${where} failed: ${messageOf(err)}`, { cause: err });
    });
    // Before the body flows: what comes while node-tar loads would be lost.
    const tar = await extraction(into, where, req.as);
    const counted = new PassThrough();
    counted.on('data', (chunk: Buffer) => (compressedBytes += chunk.length));
    body.on('error', (err) => counted.destroy(err));
    body.pipe(counted);
    try {
      await processes.pipeThrough(counted, plainStages(head), tar.sink);
      const damage = tar.damage();
      if (damage) throw damage;
    } catch (err) {
      if (err instanceof DrillFailed) throw err;
      // A full disk stops tar or lzop as a corrupt partition does: it is this machine's, not the archive's.
      const full = diskFullFailure(err, `extracting ${where}`, into);
      if (full) throw full;
      const gpg = gpgFailure(err, where);
      if (gpg) throw gpg;
      if (err === tar.damage() && (err as { tarCode?: string }).tarCode === undefined) {
        throw new DrillFailed('could-not-run', `extracting ${where} into ${into} failed: ${messageOf(err)}`, { cause: err });
      }
      if (!(err instanceof StageFailed) && err !== tar.damage()) {
        throw new DrillFailed('could-not-run', `downloading ${where} failed: ${messageOf(err)}`, { cause: err });
      }
      throw new DrillFailed('not-restorable', `base backup partition ${where} could not be restored: ${messageOf(err)}`, {
        hint: 'The partition is corrupt or truncated; an older base backup (or a fresh one) is needed.',
        cause: err,
      });
    }
    for (const name of tar.walDirs) await ownedFolder(join(into, name), req.as, { exists: 'ok' });
  };

  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      req.signal?.throwIfAborted();
      const into = `${req.dataDir}.partition-${String(job.index).padStart(8, '0')}`;
      staging.push(into);
      try {
        await ownedFolder(into, req.as);
        await extract(job.key, into);
        const merged = merges.then(() => mergeTree(into, req.dataDir));
        merges = merged.catch(() => undefined);
        await merged;
      } catch (err) {
        stop(err);
        throw err;
      }
    }
  };
  const n = Math.max(1, Math.min(req.concurrency ?? 4, req.partitions.length));
  try {
    await Promise.allSettled(Array.from({ length: n }, worker));
    // The first failure, not what stopping the others made of theirs.
    if (failure) throw failure.reason;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    for (const dir of staging) await rm(dir, { recursive: true, force: true });
  }
  return { partitions: req.partitions.length, compressedBytes, durationMs: Math.round(performance.now() - started) };
}

interface Extraction {
  /** Where lzop's output goes: node-tar, writing into the partition's folder. */
  sink: Writable;
  /** The WAL folders that were links in the tar, to be made as empty folders of ours. */
  walDirs: string[];
  /**
   * What node-tar found wrong with the tar itself, if anything: kept until lzop has exited, since a
   * partition lzop cannot decompress is also a tar node-tar cannot read, and lzop's error is the cause.
   */
  damage: () => Error | undefined;
}

/**
 * node-tar extracting one partition into `into`: each member is admitted or refused before any of
 * it is written (its mode replaced by ours, its owner the server's account); a refusal aborts the
 * extraction with the drill's failure naming the member and the partition.
 */
async function extraction(into: string, where: string, as: RunAs | undefined): Promise<Extraction> {
  // Loaded when a base backup is restored: a command that restores none does without it. The synchronous
  // unpacker makes each member's file calls (open, write, chown, utimes, close) itself as its bytes come:
  // handed one by one to libuv's thread pool, they cost more than the extraction (a 200,000-row cluster's
  // base backup in 4 partitions: 0.45 user- and 1.05 system-seconds in this process, against 0.2 and 0.7).
  const { UnpackSync } = await import('tar');
  const walDirs: string[] = [];
  let refused: DrillFailed | undefined;
  const unpack = new UnpackSync({
    cwd: into,
    strict: true,
    preserveOwner: false,
    ...(as ? { uid: as.uid, gid: as.gid } : {}),
    umask: 0o077,
    filter: (_path, entry) => {
      const e = entry as ReadEntry;
      const verdict = admit({ type: e.type, path: e.path, mode: e.mode, linkpath: e.linkpath });
      if ('refuse' in verdict) {
        refused ??= new DrillFailed('not-restorable', `base backup partition ${where} holds ${memberName(e.path)}, ${verdict.refuse}`, {
          hint: 'The drill restores only regular files and folders inside the data folder; nothing of this member was written. The archive is not a base backup PostgreSQL made, or it was altered: find out who wrote it before restoring it anywhere.',
        });
        unpack.abort(refused);
        return false;
      }
      if (verdict.admit === 'wal-dir') {
        walDirs.push(verdict.name);
        return false;
      }
      if (verdict.admit === 'root') return false;
      e.mode = verdict.admit === 'dir' ? DIR_MODE : FILE_MODE;
      return true;
    },
  });
  let damage: Error | undefined;
  let finished = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  unpack.on('close', () => {
    finished();
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      // A damaged tar is read to its end (and dropped), so lzop's own verdict comes first.
      if (refused || damage) cb(refused);
      else if (unpack.write(chunk)) cb();
      else
        unpack.once('drain', () => {
          cb(refused);
        });
    },
    final(cb) {
      if (refused || damage) {
        cb(refused);
        return;
      }
      unpack.end();
      void done.then(() => {
        cb(refused);
      });
    },
  });
  unpack.on('error', (err: Error) => {
    if (refused) sink.destroy(refused);
    else {
      damage ??= err;
      finished();
    }
  });
  return { sink, walDirs, damage: () => damage };
}
