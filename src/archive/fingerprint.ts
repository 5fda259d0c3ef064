/** A listing's fingerprint: a hash of every key, size and ETag, in key order. Equal listings, equal fingerprints. */
import { createHash } from 'node:crypto';
import type { ObjectInfo } from '../core/seams.js';

export function archiveFingerprint(objects: Iterable<ObjectInfo>): string {
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const h = createHash('sha256');
  for (const o of sorted) h.update(`${o.key}\t${o.size}\t${o.etag}\n`);
  return `sha256:${h.digest('hex')}`;
}
