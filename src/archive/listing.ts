/** Listings of an archive keyed by the key relative to its prefix. */
import type { ObjectInfo, ObjectStore } from '../systems/types.js';
import { relativeKey, type S3Location } from './location.js';

export async function listArchive(store: ObjectStore, loc: S3Location): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  for await (const o of store.list(loc.bucket, loc.prefix)) out.set(relativeKey(loc, o.key), o);
  return out;
}

export function totalBytes(objects: Iterable<ObjectInfo>): number {
  let n = 0;
  for (const o of objects) n += o.size;
  return n;
}

export const SENTINEL_SUFFIX = '_backup_stop_sentinel.json';

export function isSentinel(key: string): boolean {
  return key.endsWith(SENTINEL_SUFFIX);
}

/** A few keys for a message: `a, b, c and 12 more`. */
export function sample(keys: string[], n = 5): string {
  const shown = keys.slice(0, n).join(', ');
  return keys.length > n ? `${shown} and ${keys.length - n} more` : shown;
}
