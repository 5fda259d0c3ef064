/**
 * The simulated S3 bucket of a rehearsal: objects described by a manifest (key,
 * size, ETag, LastModified, and a body for the small ones, or a file of the scenario
 * holding it). Copies keep the ETag and get a new LastModified, as on S3; every
 * change is persisted by the world.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectRef, ObjectStore } from '../core/seams.js';
import { StepFailed } from '../core/errors.js';
import { listed, promised } from './promised.js';
import { withoutKeys } from './json-state.js';

export interface SimObject {
  size: number;
  etag: string;
  lastModified: string;
  /** Text body of small objects (sentinels, sysid, extended_version.txt); large ones have none. */
  body?: string;
  /** Body of a small object that is not text (a base backup's lzop-compressed label), in base64. */
  bodyBase64?: string;
  /**
   * The file holding the body, bytes as they are (a scenario whose archive really restores: its
   * lzop-compressed base backup and WAL). The scenario names it relative to its folder.
   */
  bodyFile?: string;
}

export type SimBuckets = Record<string, Record<string, SimObject>>;

/** The system identifier an archive at `prefix` records (its sysids/sysid, as wal-e wrote it), whether the scenario holds it as text or as a file. */
export function archivedSysid(bucket: Record<string, SimObject>, prefix: string): string | undefined {
  const o = bucket[`${prefix}sysids/sysid`];
  const text = o?.body ?? (o?.bodyFile === undefined ? undefined : readFileSync(o.bodyFile, 'utf8'));
  return text?.trim();
}

export class MemoryStore implements ObjectStore {
  readonly where = 'simulated s3';

  constructor(
    private readonly buckets: SimBuckets,
    private readonly changed: () => void,
    private readonly now: () => Date,
  ) {}

  private bucket(name: string): Record<string, SimObject> {
    const b = this.buckets[name];
    if (!b)
      throw new StepFailed(`NoSuchBucket: the bucket "${name}" does not exist (simulated s3)`, {
        hint: 'check the bucket name in the archive URL',
      });
    return b;
  }

  private info(key: string, o: SimObject): ObjectInfo {
    return { key, size: o.size, etag: o.etag, lastModified: new Date(o.lastModified) };
  }

  list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    return listed(() => {
      const b = this.bucket(bucket);
      return Object.keys(b)
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((key) => this.info(key, b[key]!));
    });
  }

  head(ref: ObjectRef): Promise<ObjectInfo | null> {
    return promised(() => {
      const o = this.bucket(ref.bucket)[ref.key];
      return o ? this.info(ref.key, o) : null;
    });
  }

  private object(ref: ObjectRef): SimObject {
    const o = this.bucket(ref.bucket)[ref.key];
    if (!o) throw new StepFailed(`NoSuchKey: s3://${ref.bucket}/${ref.key} does not exist (simulated s3)`);
    return o;
  }

  get(ref: ObjectRef): Promise<Buffer> {
    return promised(() => {
      const o = this.object(ref);
      if (o.bodyFile !== undefined) return readFileSync(o.bodyFile);
      if (o.bodyBase64 !== undefined) return Buffer.from(o.bodyBase64, 'base64');
      if (o.body !== undefined) return Buffer.from(o.body);
      // Zeros would read as a damaged archive: a step that needs the bytes says it could not read them.
      throw new StepFailed(
        `s3://${ref.bucket}/${ref.key}: the scenario holds this object's size (${o.size} bytes) and ETag, not its bytes (simulated s3)`,
      );
    });
  }

  async getStream(ref: ObjectRef): Promise<Readable> {
    return Readable.from([await this.get(ref)]);
  }

  put(ref: ObjectRef, body: Buffer | string): Promise<ObjectInfo> {
    return promised(() => this.store(ref, body));
  }

  private store(ref: ObjectRef, body: Buffer | string): ObjectInfo {
    const buf = Buffer.from(body);
    const o: SimObject = {
      size: buf.length,
      etag: createHash('md5').update(buf).digest('hex'),
      lastModified: this.now().toISOString(),
      // Bytes that are not UTF-8 (a compressed label, a dump) would not read back as written from text.
      ...(isUtf8(buf) ? { body: buf.toString('utf8') } : { bodyBase64: buf.toString('base64') }),
    };
    this.bucket(ref.bucket)[ref.key] = o;
    this.changed();
    return this.info(ref.key, o);
  }

  copy(from: ObjectRef, to: ObjectRef): Promise<ObjectInfo> {
    return promised(() => {
      const src = this.object(from);
      const o: SimObject = { ...src, lastModified: this.now().toISOString() };
      this.bucket(to.bucket)[to.key] = o;
      this.changed();
      return this.info(to.key, o);
    });
  }

  deleteMany(bucket: string, keys: string[]): Promise<void> {
    return promised(() => {
      this.buckets[bucket] = withoutKeys(this.bucket(bucket), keys);
      this.changed();
    });
  }
}
