/**
 * Is the object at B the same as the object at A?
 *
 * Single-part ETags are the MD5 of the body, so equal sizes and equal ETags
 * mean equal objects and different single-part ETags mean different ones.
 * A multipart ETag (`<md5 of part md5s>-N`) depends on how the object was cut
 * into parts: S3 gives a CopyObject of a multipart object a single-part ETag,
 * and a multipart copy gets its own part layout. When the ETags differ only in
 * that way, the sizes must match and the first bytes of both bodies are read
 * and compared, catching a copy of the wrong object without reading gigabytes.
 * (Server-side copies are checksummed by S3 itself; this check is about keys.)
 */
import type { ObjectInfo, ObjectStore } from '../core/seams.js';

const SAMPLE_BYTES = 1024 * 1024;

export interface Located {
  bucket: string;
  info: ObjectInfo;
}

function isMultipartEtag(etag: string): boolean {
  return /-\d+$/.test(etag);
}

/** Decision from metadata alone: true/false, or 'sample' when only a read of the bodies can tell. */
export function compareMetadata(a: ObjectInfo, b: ObjectInfo): boolean | 'sample' {
  if (a.size !== b.size) return false;
  if (a.etag === b.etag) return true;
  if (!isMultipartEtag(a.etag) && !isMultipartEtag(b.etag)) return false;
  return 'sample';
}

export async function sameObject(store: ObjectStore, a: Located, b: Located): Promise<boolean> {
  const byMetadata = compareMetadata(a.info, b.info);
  if (byMetadata !== 'sample') return byMetadata;
  const n = Math.min(SAMPLE_BYTES, a.info.size);
  const [x, y] = await Promise.all([readPrefix(store, a.bucket, a.info.key, n), readPrefix(store, b.bucket, b.info.key, n)]);
  return x.equals(y);
}

async function readPrefix(store: ObjectStore, bucket: string, key: string, n: number): Promise<Buffer> {
  const stream = await store.getStream({ bucket, key });
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      got += buf.length;
      if (got >= n) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}
