/**
 * A small in-memory ObjectStore for wale tests: keys kept sorted so prefix
 * listings are a binary search plus a slice, fast enough for 100,000 keys.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectRef, ObjectStore } from '../../src/core/seams.js';
import { settled } from './started.js';

interface Stored {
  info: ObjectInfo;
  body: Buffer | null;
}

export class TestStore implements ObjectStore {
  readonly where = 'test memory store';
  private readonly objects = new Map<string, Stored>();
  private sortedKeys: string[] | null = null;
  /** Prefixes listed, in call order. */
  readonly listCalls: string[] = [];
  /** LIST requests a paginated client would have made (one per page of 1000, one for an empty answer). */
  listRequests = 0;
  /** Listings asked to start after a key. */
  startAfterCalls = 0;
  /** LIST requests in flight (a page being fetched), and the most at once. */
  private active = 0;
  maxConcurrentLists = 0;

  /** `honoursStartAfter: false` is a store that ignores startAfter and lists from the prefix's first key. */
  constructor(
    readonly bucket: string,
    private readonly opts: { honoursStartAfter?: boolean } = {},
  ) {}

  /** Add an object; `body` may be a size for objects nobody reads. */
  add(key: string, body: Buffer | string | number, lastModified: Date, etag?: string): ObjectInfo {
    const buf = typeof body === 'number' ? null : Buffer.from(body);
    const size = typeof body === 'number' ? body : buf!.length;
    const info: ObjectInfo = {
      key,
      size,
      etag:
        etag ??
        createHash('md5')
          .update(buf ?? `${key}:${size}`)
          .digest('hex'),
      lastModified,
    };
    if (!this.objects.has(key)) this.sortedKeys = null;
    this.objects.set(key, { info, body: buf });
    return info;
  }

  private keys(): string[] {
    this.sortedKeys ??= [...this.objects.keys()].sort();
    return this.sortedKeys;
  }

  async *list(bucket: string, prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    this.check(bucket);
    this.listCalls.push(prefix);
    if (opts.startAfter !== undefined) this.startAfterCalls++;
    const after = this.opts.honoursStartAfter === false ? undefined : opts.startAfter;
    const keys = this.keys();
    const from = after !== undefined && after > prefix ? after : prefix;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < from || (after !== undefined && keys[mid] === after)) lo = mid + 1;
      else hi = mid;
    }
    // Pages of 1000, each fetched in a turn of the event loop, as a paginated client would.
    const fetchPage = async (): Promise<void> => {
      this.listRequests++;
      this.active++;
      this.maxConcurrentLists = Math.max(this.maxConcurrentLists, this.active);
      await new Promise((r) => setImmediate(r));
      this.active--;
    };
    await fetchPage();
    for (let i = lo; i < keys.length && keys[i]!.startsWith(prefix); i++) {
      if (i > lo && (i - lo) % 1000 === 0) await fetchPage();
      yield this.objects.get(keys[i]!)!.info;
    }
  }

  head(ref: ObjectRef): Promise<ObjectInfo | null> {
    return settled(() => {
      this.check(ref.bucket);
      return this.objects.get(ref.key)?.info ?? null;
    });
  }

  get(ref: ObjectRef): Promise<Buffer> {
    return settled(() => {
      this.check(ref.bucket);
      const o = this.objects.get(ref.key);
      if (!o) throw new Error(`NoSuchKey: ${ref.key}`);
      return o.body ?? Buffer.alloc(o.info.size);
    });
  }

  async getStream(ref: ObjectRef): Promise<Readable> {
    return Readable.from([await this.get(ref)]);
  }

  put(ref: ObjectRef, body: Buffer | string): Promise<ObjectInfo> {
    return settled(() => {
      this.check(ref.bucket);
      return this.add(ref.key, body, new Date());
    });
  }

  copy(from: ObjectRef, to: ObjectRef): Promise<ObjectInfo> {
    return settled(() => {
      const o = this.objects.get(from.key);
      if (!o) throw new Error(`NoSuchKey: ${from.key}`);
      return this.add(to.key, o.body ?? o.info.size, new Date(), o.info.etag);
    });
  }

  deleteMany(bucket: string, keys: string[]): Promise<void> {
    return settled(() => {
      this.check(bucket);
      for (const k of keys) this.objects.delete(k);
      this.sortedKeys = null;
    });
  }

  private check(bucket: string): void {
    if (bucket !== this.bucket) throw new Error(`NoSuchBucket: ${bucket}`);
  }
}
