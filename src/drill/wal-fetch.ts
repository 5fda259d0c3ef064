/**
 * wal-fetch: PostgreSQL's restore_command for a wal-e archive. Downloads
 * wal_005/<name>.lzo, decompresses it through `lzop -dc` into a temporary file
 * beside DEST and renames it into place, so PostgreSQL never sees half a segment.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { isNotFound } from '../core/object-missing.js';
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { causeOf } from './failures.js';
import { peekStart } from '../core/peek.js';
import { plainStages } from '../wale/encryption.js';

/** Names PostgreSQL asks restore_command for: segments, backup labels, timeline histories. */
const WAL_FILE_NAME = /^(?:[0-9A-F]{24}|[0-9A-F]{24}\.[0-9A-F]{8}\.backup|[0-9A-F]{8}\.history)$/;

export function isWalFileName(name: string): boolean {
  return WAL_FILE_NAME.test(name);
}

/** Key of an archived WAL file under a wal-e prefix (ending with "/"). */
export function walObjectKey(prefix: string, name: string): string {
  return `${prefix}wal_005/${name}.lzo`;
}

export interface WalFetchRequest {
  store: ObjectStore;
  bucket: string;
  /** The wal-e prefix, ending with "/". */
  prefix: string;
  name: string;
  dest: string;
  lzop?: string;
  /** How lzop runs. */
  processes: LocalProcesses;
}

export type WalFetchResult = { status: 'fetched'; bytes: number; compressedKey: string } | { status: 'missing'; key: string };

export async function walFetch(req: WalFetchRequest): Promise<WalFetchResult> {
  if (!isWalFileName(req.name)) {
    throw new UsageError(
      `"${req.name}" is not a WAL file name PostgreSQL asks for (24 hex digits, <segment>.<8 hex>.backup or <8 hex>.history)`,
      { hint: 'restore_command must pass %f as the first argument and %p as the second.' },
    );
  }
  return fetchWalObject({ ...req, key: walObjectKey(req.prefix, req.name) });
}

/** One archived object (`key`, lzop'd, maybe GPG'd), decompressed into `dest` through a temporary file beside it. */
export async function fetchWalObject(
  req: Pick<WalFetchRequest, 'store' | 'bucket' | 'dest' | 'lzop' | 'processes'> & { key: string },
): Promise<WalFetchResult> {
  const { key } = req;
  let body;
  try {
    body = await req.store.getStream({ bucket: req.bucket, key });
  } catch (err) {
    if (isNotFound(err) || isNotFound(causeOf(err))) return { status: 'missing', key };
    throw err;
  }
  const tmp = join(dirname(req.dest), `.${basename(req.dest)}.wal-fetch-${process.pid}.tmp`);
  // lzop writes the file itself: a segment's 16 MiB never pass through this process.
  const file = await open(tmp, 'w', 0o600);
  let bytes: number;
  try {
    const head = await peekStart(body);
    await req.processes.pipeThrough(body, plainStages(head, req.lzop), { fd: file.fd });
    bytes = (await file.stat()).size;
    await file.close();
    await rename(tmp, req.dest);
  } catch (err) {
    // What was not read of the body goes: a connection left open would keep this process waiting.
    body.destroy();
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  return { status: 'fetched', bytes, compressedKey: key };
}
