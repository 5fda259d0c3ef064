/** Seeds wal-e shaped archives into moto and compares listings. */
import type { ObjectInfo, ObjectStore } from '../../src/core/seams.js';

export interface SeedOptions {
  /** WAL segments in wal_005/. */
  segments: number;
  /** Base backups, created in this order (their sentinels get increasing LastModified seconds). */
  backups: string[];
  sysid: string;
  /** Extra objects: relative key → body. */
  extra?: Record<string, string | Buffer>;
}

function segmentName(n: number): string {
  return `00000001${'0'.repeat(8)}${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

export async function putAll(
  store: ObjectStore,
  bucket: string,
  entries: Array<[string, string | Buffer]>,
  concurrency = 8,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < entries.length) {
        const [key, body] = entries[next++]!;
        await store.put({ bucket, key }, body);
      }
    }),
  );
}

/** The objects of `seedArchive` but the sentinels, as [key, body]. */
export function archiveEntries(prefix: string, o: SeedOptions): Array<[string, string | Buffer]> {
  const entries: Array<[string, string | Buffer]> = [[`${prefix}sysids/sysid`, `${o.sysid}\n`]];
  for (let i = 1; i <= o.segments; i++)
    entries.push([`${prefix}wal_005/${segmentName(i)}.lzo`, `lzo wal ${o.sysid} ${i}`.repeat(1 + (i % 7))]);
  for (const b of o.backups) {
    entries.push([`${prefix}basebackups_005/${b}/extended_version.txt`, 'PostgreSQL 9.5.1 on x86_64-pc-linux-gnu']);
    entries.push([`${prefix}basebackups_005/${b}/tar_partitions/part_00000000.tar.lzo`, `tar of ${o.sysid} ${b}`.repeat(50)]);
  }
  for (const [k, v] of Object.entries(o.extra ?? {})) entries.push([prefix + k, v]);
  return entries;
}

/** The sentinel of base backup `b`, as [key, body]. */
export function sentinelEntry(prefix: string, b: string): [string, string] {
  return [
    `${prefix}basebackups_005/${b}_backup_stop_sentinel.json`,
    JSON.stringify({
      wal_segment_backup_stop: b.slice(5, 29),
      wal_segment_offset_backup_stop: '00000184',
      expanded_size_bytes: 21403587,
      spec: { base_prefix: '/data/postgres', tablespaces: [] },
    }),
  ];
}

/** A wal-e archive under `prefix` (ending in /). Sentinels are written one second apart, in `backups` order. */
export async function seedArchive(store: ObjectStore, bucket: string, prefix: string, o: SeedOptions): Promise<void> {
  await putAll(store, bucket, archiveEntries(prefix, o));
  for (let i = 0; i < o.backups.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1050));
    const [key, body] = sentinelEntry(prefix, o.backups[i]!);
    await store.put({ bucket, key }, body);
  }
}

export async function listRelative(store: ObjectStore, bucket: string, prefix: string): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  for await (const o of store.list(bucket, prefix)) out.set(o.key.slice(prefix.length), o);
  return out;
}

/** key → "size etag", for equality assertions. */
export async function fingerprint(store: ObjectStore, bucket: string, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [rel, o] of await listRelative(store, bucket, prefix)) out[rel] = `${o.size} ${o.etag}`;
  return out;
}

/** Sentinel keys (relative) ordered by LastModified, then key, plus whether their seconds are strictly increasing. */
export async function sentinelOrder(store: ObjectStore, bucket: string, prefix: string): Promise<{ keys: string[]; strict: boolean }> {
  const s = [...(await listRelative(store, bucket, prefix))]
    .filter(([rel]) => rel.endsWith('_backup_stop_sentinel.json'))
    .sort(([ka, a], [kb, b]) => a.lastModified.getTime() - b.lastModified.getTime() || (ka < kb ? -1 : 1));
  const secs = s.map(([, o]) => Math.floor(o.lastModified.getTime() / 1000));
  return { keys: s.map(([k]) => k), strict: secs.every((t, i) => i === 0 || t > secs[i - 1]!) };
}
