/**
 * The archived WAL a drill's replay can ask for, fetched by the drill itself (its S3 credentials
 * stay in this process) into a local folder, several files at once, while the base backup
 * downloads. The scratch server's restore_command then only copies local files: it never needs a
 * credential, and a tenant's archive never runs with the operator's keys.
 */
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import { StageFailed } from '../systems/processes.js';
import { shellQuote } from '../systems/pg-sandbox.js';
import { parseSegment, segmentIndex, tryParseSegment } from '../wale/segments.js';
import { DrillFailed } from './exit-codes.js';
import { messageOf } from '../core/errors.js';
import { isWalFileName, walFetch, walObjectKey } from './wal-fetch.js';
import { gpgFailure } from './failures.js';
import { diskFullFailure } from './local-room.js';

export interface WalDownload {
  store: ObjectStore;
  bucket: string;
  /** The wal-e prefix, ending with "/". */
  prefix: string;
  /** LATEST's first segment: replay reads nothing older. */
  startSegment: string;
  pgMajor: string;
  /** The drill's private WAL folder. */
  into: string;
  as?: RunAs;
  concurrency?: number;
  /** Fetch only the files `into` does not hold yet (a paused copy going on to a later target). */
  missingOnly?: boolean;
  signal?: AbortSignal;
  processes: LocalProcesses;
}

export interface WalDownloaded {
  files: number;
  compressedBytes: number;
  /** Files that did not decompress: replay stops before them, and the drill says how far it got. */
  damaged: string[];
}

/** The drill's warning of an archived WAL file that did not decompress. */
export function damagedWalWarning(name: string): string {
  return `archived WAL ${name} did not decompress: replay cannot go past it.`;
}

/** restore_command for WAL fetched into `dir`: a copy of a local file, or "not there". */
export function localRestoreCommand(dir: string): string {
  const file = `${shellQuote(dir)}/%f`;
  return `test -f ${file} && cp ${file} %p`;
}

/** Names and compressed sizes of the archived WAL files replay from `startSegment` can ask for. */
async function wanted(req: WalDownload): Promise<{ name: string; size: number }[]> {
  const from = segmentIndex(parseSegment(req.startSegment), req.pgMajor);
  const here = new Set(req.missingOnly ? await readdir(req.into) : []);
  const out: { name: string; size: number }[] = [];
  for await (const o of req.store.list(req.bucket, `${req.prefix}wal_005/`)) {
    const name = /^wal_005\/(.+)\.lzo$/.exec(o.key.slice(req.prefix.length))?.[1];
    if (!name || !isWalFileName(name) || here.has(name)) continue;
    const segment = tryParseSegment(name.slice(0, 24));
    // Timeline histories are all wanted; segments and backup labels from LATEST's start on.
    if (name.endsWith('.history') || (segment && segmentIndex(segment, req.pgMajor) >= from)) out.push({ name, size: o.size });
  }
  return out;
}

export async function downloadWal(req: WalDownload): Promise<WalDownloaded> {
  const queue = await wanted(req);
  const result: WalDownloaded = { files: 0, compressedBytes: 0, damaged: [] };
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      req.signal?.throwIfAborted();
      const dest = join(req.into, job.name);
      try {
        const r = await walFetch({
          store: req.store,
          bucket: req.bucket,
          prefix: req.prefix,
          name: job.name,
          dest,
          processes: req.processes,
        });
        if (r.status === 'missing') continue;
      } catch (err) {
        // A full disk makes lzop fail as a damaged file does: it is this machine's, not the archive's.
        const full = diskFullFailure(err, `fetching WAL ${job.name}`, req.into);
        if (full) {
          queue.length = 0;
          throw full;
        }
        const gpg = gpgFailure(err, `s3://${req.bucket}/${walObjectKey(req.prefix, job.name)}`);
        if (gpg) {
          queue.length = 0;
          throw gpg;
        }
        if (err instanceof StageFailed) {
          result.damaged.push(job.name);
          continue;
        }
        queue.length = 0;
        throw new DrillFailed('could-not-run', `fetching WAL ${job.name} from s3://${req.bucket}/${req.prefix} failed: ${messageOf(err)}`, {
          cause: err,
        });
      }
      if (req.as) await chown(dest, req.as.uid, req.as.gid);
      result.files++;
      result.compressedBytes += job.size;
    }
  };
  // Every worker ends before the download does, failed or not: none still writes in the folder after.
  const ended = await Promise.allSettled(Array.from({ length: Math.max(1, req.concurrency ?? 8) }, worker));
  const failed = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  result.damaged.sort();
  return result;
}
