import http from 'node:http';
import https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../../support/moto.js';
import { DirectCopy, encodeKey, parseCopyResult, routeOf, createS3Store } from '../../../src/systems/s3/index.js';

const BUCKET = 'direct-copy';
let moto: Moto;

beforeAll(async () => {
  moto = await startMoto();
  await moto.createBucket(BUCKET);
});
afterAll(async () => {
  await (moto as Moto | undefined)?.stop();
});

function motoClient(): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: MOTO_CREDENTIALS });
}

describe('direct CopyObject against moto', () => {
  it('copies keys with + = spaces and unicode, with the ETag and LastModified S3 reports', async () => {
    const store = createS3Store(moto.options);
    const keys = ['plain/a', 'odd/a+b=c d', 'odd/ünï cødé/☃.lzo', "odd/(it's)!*"];
    for (const k of keys) await store.put({ bucket: BUCKET, key: k }, `body of ${k}`);
    const send = vi.spyOn(S3Client.prototype, 'send');
    for (const k of keys) {
      const done = await store.copy({ bucket: BUCKET, key: k }, { bucket: BUCKET, key: `copy/${k}` }, 10);
      const head = (await store.head({ bucket: BUCKET, key: `copy/${k}` }))!;
      expect(done.etag).toBe(head.etag);
      expect(done.etag).toBe((await store.head({ bucket: BUCKET, key: k }))!.etag);
      expect(Math.abs(done.lastModified.getTime() - head.lastModified.getTime())).toBeLessThan(1000);
    }
    // Only the first copy goes through the SDK: it teaches the route the others take.
    const sdkCopies = send.mock.calls.filter(([c]) => c.constructor.name === 'CopyObjectCommand');
    send.mockRestore();
    expect(sdkCopies).toHaveLength(1);
  });

  it('copies on the route the SDK used, and gives up (undefined) on a wrong route or a failed copy', async () => {
    const client = motoClient();
    const url = new URL(moto.endpoint);
    const route = routeOf({ protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: `/${BUCKET}/x/y%20z` }, 'x/y z');
    expect(route).toEqual({ protocol: 'http:', hostname: url.hostname, port: Number(url.port), prefix: `/${BUCKET}/`, misses: 0 });
    await createS3Store(moto.options).put({ bucket: BUCKET, key: 'src/one' }, 'one');
    const direct = new DirectCopy(
      client,
      { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
      60_000,
    );
    try {
      const ok = await direct.copy(route!, 'dst/one', `${BUCKET}/src/one`);
      expect(ok?.etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(await direct.copy({ ...route!, prefix: '/no-such-bucket/' }, 'dst/one', `${BUCKET}/src/one`)).toBeUndefined();
      expect(await direct.copy(route!, 'dst/none', `${BUCKET}/src/none`)).toBeUndefined();
      expect(await direct.copy({ ...route!, port: 1 }, 'dst/one', `${BUCKET}/src/one`)).toBeUndefined();
    } finally {
      direct.close();
    }
  });

  it('falls back to the SDK, with the store’s own error, when the direct copy fails', async () => {
    const store = createS3Store(moto.options);
    await store.put({ bucket: BUCKET, key: 'fb/a' }, 'a');
    await store.copy({ bucket: BUCKET, key: 'fb/a' }, { bucket: BUCKET, key: 'fb-copy/a' }, 1);
    const err = await store.copy({ bucket: BUCKET, key: 'fb/none' }, { bucket: BUCKET, key: 'fb-copy/none' }, 1).catch((e: unknown) => e);
    expect((err as Error).message).toContain('fb/none');
    expect((err as Error).message).not.toContain(MOTO_CREDENTIALS.secretAccessKey);
  });

  it('stops trying the direct copy for a bucket after three misses in a row, and copies through the SDK', async () => {
    const store = createS3Store(moto.options);
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) await store.put({ bucket: BUCKET, key: `miss/${k}` }, k);
    await store.copy({ bucket: BUCKET, key: 'miss/a' }, { bucket: BUCKET, key: 'miss-copy/a' }, 1);
    const tries = vi.spyOn(DirectCopy.prototype, 'copy').mockResolvedValue(undefined);
    try {
      for (const k of ['b', 'c', 'd', 'e', 'f']) {
        const done = await store.copy({ bucket: BUCKET, key: `miss/${k}` }, { bucket: BUCKET, key: `miss-copy/${k}` }, 1);
        expect(done.etag).toBe((await store.head({ bucket: BUCKET, key: `miss/${k}` }))!.etag);
      }
      expect(tries).toHaveBeenCalledTimes(3);
    } finally {
      tries.mockRestore();
    }
  });
});

describe('parseCopyResult', () => {
  it('reads ETag and LastModified, and refuses an <Error> inside a 200 or a result without an ETag', () => {
    const ok = parseCopyResult(
      '<?xml version="1.0"?><CopyObjectResult><LastModified>2026-03-17T18:05:20.000Z</LastModified><ETag>&quot;abc&quot;</ETag></CopyObjectResult>',
    );
    expect(ok).toEqual({ etag: '"abc"', lastModified: new Date('2026-03-17T18:05:20.000Z') });
    expect(parseCopyResult('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>x</Message></Error>')).toBeUndefined();
    expect(parseCopyResult('<CopyObjectResult><LastModified>2026-03-17T18:05:20.000Z</LastModified></CopyObjectResult>')).toBeUndefined();
  });

  it('encodes keys as the SDK does in a path', () => {
    expect(encodeKey("a b/c+d=e/ü/(x)!*'")).toBe('a%20b/c%2Bd%3De/%C3%BC/%28x%29%21%2A%27');
  });
});
