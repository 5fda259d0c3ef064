/**
 * A deleted instance's archive as the rehearsal's S3 holds it: read by the same inspection a
 * recovery runs, through a store that only lists and reads, keeping every key, size and ETag, and
 * the bodies of the small objects a recovery reads (sysid, sentinels, extended_version.txt, and each
 * base backup's label, whose STOP TIME a restore to a moment starts from). WAL segments and base
 * backup partitions are never read.
 */
import type { Redactor } from '../core/redact.js';
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { StepFailed } from '../core/errors.js';
import { parseS3Url } from '../core/s3-url.js';
import type { ObjectInfo, ObjectRef, ObjectStore } from '../core/seams.js';
import { inspectArchive } from '../archive/inspect.js';
import type { SimBuckets, SimObject } from '../rehearsal/memory-store.js';

/** Larger bodies are not the small objects a recovery reads, and are left out. */
const MAX_BODY_BYTES = 64 * 1024;

/** A body kept only when it is text: lzop-compressed objects are left as listings (labels aside, see `label`). */
function textBody(body: Buffer): string | undefined {
  if (body.length > MAX_BODY_BYTES) return undefined;
  if (!isUtf8(body)) return undefined;
  const text = body.toString('utf8');
  return text.includes('\u0000') ? undefined : text;
}

/** An ObjectStore that lists and reads small objects, keeping what it saw; every write is refused. */
class ReadOnlyRecorder implements ObjectStore {
  readonly buckets: SimBuckets = {};
  constructor(private readonly store: ObjectStore) {}

  get where(): string {
    return this.store.where;
  }

  private keep(bucket: string, info: ObjectInfo): SimObject {
    const objects = (this.buckets[bucket] ??= {});
    return (objects[info.key] ??= { size: info.size, etag: info.etag, lastModified: info.lastModified.toISOString() });
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    for await (const info of this.store.list(bucket, prefix)) {
      this.keep(bucket, info);
      yield info;
    }
  }

  async head(ref: ObjectRef): Promise<ObjectInfo | null> {
    const info = await this.store.head(ref);
    if (info) this.keep(ref.bucket, info);
    return info;
  }

  async get(ref: ObjectRef): Promise<Buffer> {
    const body = await this.store.get(ref);
    const kept = this.buckets[ref.bucket]?.[ref.key];
    const text = textBody(body);
    if (kept && text !== undefined) kept.body = text;
    return body;
  }

  /**
   * A base backup's archived label, kept whole (lzop-compressed, so in base64): a few hundred bytes of
   * positions and times, never the database's data. Unreadable, it is left out, as the run found it.
   */
  async label(ref: ObjectRef): Promise<void> {
    const kept = this.buckets[ref.bucket]?.[ref.key];
    if (!kept || kept.size > MAX_BODY_BYTES) return;
    const body = await this.store.get(ref).catch(() => undefined);
    if (body && body.length <= MAX_BODY_BYTES) kept.bodyBase64 = body.toString('base64');
  }

  getStream(ref: ObjectRef): Promise<Readable> {
    return Promise.reject(new StepFailed(`a snapshot never reads object data (s3://${ref.bucket}/${ref.key})`));
  }

  private refuse(what: string): Promise<never> {
    return Promise.reject(new StepFailed(`a snapshot only reads: it refused to ${what}`));
  }
  put(ref: ObjectRef): Promise<ObjectInfo> {
    return this.refuse(`write s3://${ref.bucket}/${ref.key}`);
  }
  copy(_from: ObjectRef, to: ObjectRef): Promise<ObjectInfo> {
    return this.refuse(`copy to s3://${to.bucket}/${to.key}`);
  }
  deleteMany(bucket: string): Promise<void> {
    return this.refuse(`delete in s3://${bucket}`);
  }
}

/** The archives at these s3:// URLs, as listings with their small bodies; what could not be read, in `gaps`. */
export async function readArchives(store: ObjectStore, urls: string[], gaps: string[], redactor: Redactor): Promise<SimBuckets> {
  const recorder = new ReadOnlyRecorder(store);
  for (const url of urls) {
    const { bucket } = parseS3Url(url);
    try {
      const report = await inspectArchive(recorder, url, { redactor });
      for (const b of report.baseBackups) if (b.labelKey) await recorder.label({ bucket, key: b.labelKey });
    } catch (err) {
      gaps.push(`archive ${url}: ${err instanceof Error ? err.message : String(err)}`);
      recorder.buckets[bucket] ??= {};
    }
  }
  return recorder.buckets;
}
