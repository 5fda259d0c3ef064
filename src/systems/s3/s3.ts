/**
 * The live S3 seam, on @aws-sdk/client-s3. Every call retries throttling
 * (503 SlowDown, 429) and server errors with the SDK's standard strategy
 * (exponential backoff with jitter, a bounded retry budget), and failures
 * come back as StepFailed messages naming the object and what to check.
 */
import type { Readable } from 'node:stream';
import {
  S3Client,
  ListObjectsV2Command,
  HeadObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { StepFailed } from '../../core/errors.js';
import type { ObjectInfo, ObjectRef, ObjectStore } from '../../core/seams.js';
import { s3Client, type S3ClientOptions, type S3Place } from './s3-client.js';
import { DirectCopy, routeOf, type CopyRoute } from './s3-direct-copy.js';
import { isNotFound } from '../../core/object-missing.js';
import { describeS3Error, s3Url } from './s3-errors.js';
import { invocation } from '../../core/invocation.js';

export interface S3Options extends S3ClientOptions {
  /** Objects larger than this are copied with UploadPartCopy (default and S3 maximum for CopyObject: 5 GiB). */
  multipartCopyThreshold?: number;
  /** Part size of a multipart copy (default 512 MiB; S3 needs at least 5 MiB except for the last part). */
  multipartPartSize?: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MAX_COPY_OBJECT = 5 * GiB;
const MAX_PARTS = 10_000;
const DELETE_BATCH = 1000;
const PART_COPY_CONCURRENCY = 4;
/** Keep-alive sockets of the direct copy: above the swap's 32 copies at once. */
const DIRECT_SOCKETS = 64;
/** Direct copies in a row that may fail before a bucket's copies all go through the SDK (each miss costs a request). */
const DIRECT_MISSES = 3;

export function createS3Store(opts: S3Options, env: NodeJS.ProcessEnv = invocation().env): ObjectStore {
  const { client, agents, place, timeoutMs } = s3Client(opts, env, DIRECT_SOCKETS);
  const routes = learnCopyRoutes(client);
  return new S3Store(
    client,
    place,
    { threshold: Math.min(opts.multipartCopyThreshold ?? MAX_COPY_OBJECT, MAX_COPY_OBJECT), partSize: opts.multipartPartSize ?? 512 * MiB },
    { direct: new DirectCopy(client, agents, timeoutMs), routes },
  );
}

/** The route of each bucket's CopyObject, recorded as the SDK sends it (see s3-direct-copy.ts). */
function learnCopyRoutes(client: S3Client): Map<string, CopyRoute> {
  const routes = new Map<string, CopyRoute>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string };
      if (context.commandName === 'CopyObjectCommand' && input.Bucket && input.Key && !routes.has(input.Bucket)) {
        const route = routeOf(args.request as Parameters<typeof routeOf>[0], input.Key);
        if (route) routes.set(input.Bucket, route);
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'learnCopyRoute' },
  );
  return routes;
}

class S3Store implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly place: S3Place,
    private readonly multipart: { threshold: number; partSize: number },
    private readonly copies: { direct: DirectCopy; routes: Map<string, CopyRoute> },
  ) {}

  get where(): string {
    return this.place.where;
  }

  private fail(err: unknown, op: string, bucket: string, key = ''): never {
    throw describeS3Error(err, op, bucket, key, this.place);
  }

  /** `startAfter`: only keys after it (S3's StartAfter), for listings that split the key space. */
  async *list(bucket: string, prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ContinuationToken: token,
            StartAfter: token === undefined ? opts.startAfter : undefined,
          }),
        );
      } catch (err) {
        this.fail(err, 'list', bucket, prefix);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield {
          key: o.Key,
          size: o.Size ?? 0,
          etag: unquote(o.ETag),
          lastModified: o.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async head(ref: ObjectRef): Promise<ObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return { key: ref.key, size: r.ContentLength ?? 0, etag: unquote(r.ETag), lastModified: r.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      this.fail(err, 'head', ref.bucket, ref.key);
    }
  }

  async get(ref: ObjectRef): Promise<Buffer> {
    const stream = await this.getStream(ref);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async getStream(ref: ObjectRef): Promise<Readable> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return r.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) {
        throw new StepFailed(`${s3Url(ref.bucket, ref.key)} does not exist at ${this.where}`, {
          hint: 'Check the S3 URL; list the prefix to see what the archive holds.',
          cause: err,
        });
      }
      this.fail(err, 'get', ref.bucket, ref.key);
    }
  }

  async put(ref: ObjectRef, body: Buffer | string): Promise<ObjectInfo> {
    try {
      const r = await this.client.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body }));
      const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      return { key: ref.key, size, etag: unquote(r.ETag), lastModified: new Date() };
    } catch (err) {
      this.fail(err, 'put', ref.bucket, ref.key);
    }
  }

  async copy(from: ObjectRef, to: ObjectRef, size: number): Promise<ObjectInfo> {
    if (size > this.multipart.threshold) return this.copyMultipart(from, to, size);
    const input = { Bucket: to.bucket, Key: to.key, CopySource: copySource(from) };
    const route = this.copies.routes.get(to.bucket);
    if (route && route.misses < DIRECT_MISSES) {
      const direct = await this.copies.direct.copy(route, to.key, input.CopySource);
      if (direct) {
        route.misses = 0;
        return { key: to.key, size, etag: unquote(direct.etag), lastModified: direct.lastModified ?? new Date() };
      }
      route.misses += 1;
    }
    try {
      const r = (await this.client.send(new CopyObjectCommand(input))).CopyObjectResult;
      return { key: to.key, size, etag: unquote(r?.ETag), lastModified: r?.LastModified ?? new Date() };
    } catch (err) {
      this.fail(err, `copy from ${s3Url(from.bucket, from.key)}`, to.bucket, to.key);
    }
  }

  /** UploadPartCopy in ranges, a few parts at a time; the upload is aborted on failure. */
  private async copyMultipart(from: ObjectRef, to: ObjectRef, size: number): Promise<ObjectInfo> {
    const partSize = Math.max(this.multipart.partSize, Math.ceil(size / MAX_PARTS));
    let source;
    try {
      // CopyObject carries content type and metadata over by itself; a multipart copy must set them.
      source = await this.client.send(new HeadObjectCommand({ Bucket: from.bucket, Key: from.key }));
    } catch (err) {
      if (isNotFound(err)) throw new StepFailed(`${s3Url(from.bucket, from.key)} vanished before it could be copied`);
      this.fail(err, 'head', from.bucket, from.key);
    }
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: to.bucket,
          Key: to.key,
          ContentType: source.ContentType,
          ContentEncoding: source.ContentEncoding,
          Metadata: source.Metadata,
        }),
      );
      uploadId = created.UploadId;
      const ranges: Array<{ n: number; start: number; end: number }> = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        ranges.push({ n, start, end: Math.min(size, start + partSize) - 1 });
      }
      const parts = new Array<CompletedPart>(ranges.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < ranges.length) {
          const r = ranges[next++]!;
          const out = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: to.bucket,
              Key: to.key,
              UploadId: uploadId,
              PartNumber: r.n,
              CopySource: copySource(from),
              CopySourceRange: `bytes=${r.start}-${r.end}`,
              CopySourceIfMatch: source.ETag,
            }),
          );
          parts[r.n - 1] = { PartNumber: r.n, ETag: out.CopyPartResult?.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_COPY_CONCURRENCY, ranges.length) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: to.bucket,
          Key: to.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      if (uploadId) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      if (err instanceof StepFailed) throw err;
      this.fail(err, `multipart copy from ${s3Url(from.bucket, from.key)}`, to.bucket, to.key);
    }
    const done = await this.head(to);
    if (!done) throw new StepFailed(`multipart copy to ${s3Url(to.bucket, to.key)} completed but the object is missing`);
    return done;
  }

  async deleteMany(bucket: string, keys: string[]): Promise<void> {
    const failed: string[] = [];
    let firstError = '';
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let r;
      try {
        r = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (err) {
        this.fail(err, `delete of ${batch.length} objects under`, bucket, commonPrefix(batch));
      }
      for (const e of r.Errors ?? []) {
        failed.push(e.Key ?? '?');
        firstError ||= `${e.Code ?? 'error'}: ${e.Message ?? ''}`.trim();
      }
    }
    if (failed.length > 0) {
      const shown = failed
        .slice(0, 10)
        .map((k) => s3Url(bucket, k))
        .join(', ');
      const more = failed.length > 10 ? ` and ${failed.length - 10} more` : '';
      throw new StepFailed(
        this.place.redactor.redact(`could not delete ${failed.length} of ${keys.length} objects (${firstError}): ${shown}${more}`),
        {
          hint: 'Check the s3:DeleteObject permission on the bucket, then resume: deletion is safe to repeat.',
        },
      );
    }
  }
}

/** The x-amz-copy-source value: bucket/key, URL-encoded per segment so `+`, `=` and spaces survive. */
function copySource(ref: ObjectRef): string {
  return `${encodeURIComponent(ref.bucket)}/${ref.key.split('/').map(encodeURIComponent).join('/')}`;
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

function commonPrefix(keys: string[]): string {
  if (keys.length === 0) return '';
  let p = keys[0]!;
  for (const k of keys) while (!k.startsWith(p)) p = p.slice(0, -1);
  return p;
}
