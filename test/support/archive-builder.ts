/**
 * Builds wal-e archives in a TestStore the way wal-e 0.9 and Dingo lay them
 * out; history files are compressed with the real lzop, as wal-push does.
 */
import { execFileSync } from 'node:child_process';
import type { ObjectInfo } from '../../src/core/seams.js';
import { backupLabelName, backupName } from '../../src/wale/keys.js';
import { formatSegment, nextSegment, parseSegment, compareSegments } from '../../src/wale/segments.js';
import { TestStore } from './memory-store.js';

export const BUCKET = 'our-postgresql-backups';
export const PREFIX = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
export const URL = `s3://${BUCKET}/${PREFIX}`;
const PG95 = 'PostgreSQL 9.5.1 on x86_64-pc-linux-gnu, compiled by gcc (Debian 4.9.2-10) 4.9.2, 64-bit';

export function lzop(text: string | Buffer): Buffer {
  return execFileSync('lzop', ['-c'], { input: text });
}

export interface BackupSpec {
  start: string;
  offset: number;
  stop: string;
  stopOffset?: number;
  parts?: number;
  sentinel?: boolean;
  version?: string | false;
  label?: boolean;
  at: Date;
}

export class ArchiveBuilder {
  readonly store = new TestStore(BUCKET);
  constructor(readonly prefix = PREFIX) {}

  put(rel: string, body: Buffer | string | number, at: Date): ObjectInfo {
    return this.store.add(this.prefix + rel, body, at);
  }

  backup(b: BackupSpec): string {
    const name = backupName(b.start, b.offset);
    const dir = `basebackups_005/${name}/`;
    if (b.version !== false) this.put(`${dir}extended_version.txt`, b.version ?? PG95, b.at);
    for (let i = 0; i < (b.parts ?? 1); i++) {
      this.put(`${dir}tar_partitions/part_${String(i).padStart(8, '0')}.tar.lzo`, 4_000_000 + i, b.at);
    }
    if (b.label !== false) this.put(`wal_005/${backupLabelName(b.start, b.offset)}.lzo`, lzop(`START WAL LOCATION: ...\n`), b.at);
    if (b.sentinel !== false) {
      const sentinel = {
        wal_segment_backup_stop: b.stop,
        wal_segment_offset_backup_stop: String(b.stopOffset ?? 240).padStart(8, '0'),
        expanded_size_bytes: 21_000_000,
        spec: { base_prefix: '/data/postgres0', tablespaces: [] },
      };
      this.put(`basebackups_005/${name}_backup_stop_sentinel.json`, JSON.stringify(sentinel), new Date(b.at.getTime() + 1000));
    }
    return name;
  }

  /** WAL segments from..to inclusive on from's timeline, a minute apart from `at`. */
  wal(from: string, to: string, at: Date, pgMajor?: string): void {
    let s = parseSegment(from);
    const end = parseSegment(to);
    let t = at.getTime();
    while (compareSegments(s, end) <= 0) {
      this.put(`wal_005/${formatSegment(s)}.lzo`, 16_000, new Date(t));
      s = nextSegment(s, pgMajor);
      t += 60_000;
    }
  }

  history(tli: number, text: string, at: Date, compressed = true): void {
    const name = `wal_005/${tli.toString(16).toUpperCase().padStart(8, '0')}.history`;
    if (compressed) this.put(`${name}.lzo`, lzop(text), at);
    else this.put(name, text, at);
  }

  sysid(id = '6262361548154445855', at = new Date('2016-03-17T02:11:47Z')): void {
    this.put('sysids/sysid', `${id}\n`, at);
  }

  remove(rel: string): void {
    void this.store.deleteMany(BUCKET, [this.prefix + rel]);
  }
}

const T0 = new Date('2016-03-17T02:11:48Z');
export const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);
