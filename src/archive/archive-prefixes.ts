/**
 * The wal-e archives under a prefix: Dingo's broker gives every instance it ever provisioned its own
 * `backups/<instance GUID>/wal/` (WALE_S3_PREFIX), never deleted, so `s3://BUCKET/backups/` holds one
 * archive per instance. An archive is a folder holding `basebackups_005/`, `wal_005/` or Dingo's
 * `sysids/` (one holding only a sysid lost its backups, and is listed to be found wanting).
 *
 * One listing per archive: each archive's first key names it, and the listing goes on with S3's
 * StartAfter past everything under it, so the thousands of WAL keys of each are never listed. A store
 * that ignores startAfter (it answers with a key at or before it) is read in one sequential scan
 * instead, skipping each archive's keys. A folder `archive swap` set aside beside an archive
 * (`<archive>.quarantine-<stamp>/`) is no archive in service: it is returned apart.
 */
import type { ObjectStore } from '../core/seams.js';

export interface ArchivesFound {
  /** Prefixes of the archives (each ending in "/"), in key order. */
  archives: string[];
  /** Prefixes of the archives `archive swap` set aside, in key order. */
  setAside: string[];
}

/** The folders whose presence makes their parent an archive. */
const MARKS = new Set(['basebackups_005', 'wal_005', 'sysids']);
/** Sorts after every key that starts with what it is appended to (the highest code point). */
const AFTER_ALL = '\u{10FFFF}';
/** What archive/location.ts's quarantineLocation names a folder set aside. */
const SET_ASIDE = /\.quarantine-\d{8}T\d{6}Z\/$/;

/** The archive `key` belongs to under `prefix` (the folder before its first mark), or null. */
export function archiveOf(key: string, prefix: string): string | null {
  const parts = key.slice(prefix.length).split('/');
  const at = parts.findIndex((p, i) => i < parts.length - 1 && MARKS.has(p));
  return at < 0
    ? null
    : prefix +
        parts
          .slice(0, at)
          .map((p) => `${p}/`)
          .join('');
}

/** S3 orders keys by their UTF-8 bytes. */
function utf8After(key: string, after: string): boolean {
  return Buffer.compare(Buffer.from(key, 'utf8'), Buffer.from(after, 'utf8')) > 0;
}

export async function findArchives(store: ObjectStore, bucket: string, prefix: string): Promise<ArchivesFound> {
  const found: string[] = [];
  let after: string | undefined;
  let honoured = true;
  for (;;) {
    let next: string | undefined;
    const listing = after === undefined ? store.list(bucket, prefix) : store.list(bucket, prefix, { startAfter: after });
    for await (const o of listing) {
      if (after !== undefined && !utf8After(o.key, after)) {
        // The store listed from the start: what follows is one sequential scan.
        honoured = false;
        continue;
      }
      const last = found.at(-1);
      if (last !== undefined && o.key.startsWith(last)) continue;
      const archive = archiveOf(o.key, prefix);
      if (archive === null) continue;
      found.push(archive);
      if (honoured) {
        next = archive + AFTER_ALL;
        break;
      }
    }
    if (next === undefined) break;
    after = next;
  }
  return { archives: found.filter((a) => !SET_ASIDE.test(a)), setAside: found.filter((a) => SET_ASIDE.test(a)) };
}
