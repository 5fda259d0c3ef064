/** Listings of an archive keyed by the key relative to its prefix. */
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { listArchiveObjects } from './parallel-listing.js';
import { relativeKey, type S3Location } from './location.js';

/**
 * Every object under the archive's prefix, in key order: one request for an archive of one
 * page, the WAL folder of a larger one in parallel blocks (see parallel-listing.ts), and one
 * sequential scan on a store that cannot start a listing after a key.
 */
export async function listArchive(store: ObjectStore, loc: S3Location): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  for (const o of await listArchiveObjects(store, loc.bucket, loc.prefix, { complete: true })) out.set(relativeKey(loc, o.key), o);
  return out;
}

export function totalBytes(objects: Iterable<ObjectInfo>): number {
  let n = 0;
  for (const o of objects) n += o.size;
  return n;
}

const SENTINEL_SUFFIX = '_backup_stop_sentinel.json';

export function isSentinel(key: string): boolean {
  return key.endsWith(SENTINEL_SUFFIX);
}

/** A few keys for a message: `a, b, c and 12 more`. */
export function sample(keys: string[], n = 5): string {
  const shown = keys.slice(0, n).join(', ');
  return keys.length > n ? `${shown} and ${keys.length - n} more` : shown;
}
