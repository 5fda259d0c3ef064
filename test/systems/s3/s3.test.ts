import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../../support/moto.js';
import { freePort } from '../../../src/systems/ports.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { createS3Store } from '../../../src/systems/s3/index.js';
import type { ObjectInfo, ObjectStore } from '../../../src/core/seams.js';
import { StepFailed } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';
import { s3EndpointOf } from '../../../src/core/s3-flags.js';

let moto: Moto;
let proxy: FaultProxy;
const BUCKET = 'store-tests';

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

async function putMany(store: ObjectStore, bucket: string, keys: string[], body: (k: string) => string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < keys.length) {
        const k = keys[next++]!;
        await store.put({ bucket, key: k }, body(k));
      }
    }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  proxy = await startFaultProxy(moto.endpoint);
});
afterAll(async () => {
  // Either may be missing when beforeAll failed.
  const started = [proxy as FaultProxy | undefined, moto as Moto | undefined];
  for (const s of started) await s?.stop();
});

describe('createS3Store against moto', () => {
  it('lists past 1,000 keys in key order and deletes them in batches', async () => {
    const keys = Array.from({ length: 1105 }, (_, i) => `many/wal_005/${String(i).padStart(24, '0')}.lzo`);
    await putMany(moto.store, BUCKET, keys, (k) => `body of ${k}`);
    const listed = await collect(moto.store.list(BUCKET, 'many/'));
    expect(listed.map((o) => o.key)).toEqual([...keys].sort());
    expect(listed[0]!.size).toBe(Buffer.byteLength(`body of ${keys[0]}`));
    expect(listed[0]!.etag).toMatch(/^[0-9a-f]{32}$/);

    await moto.store.deleteMany(BUCKET, keys);
    expect(await collect(moto.store.list(BUCKET, 'many/'))).toEqual([]);
  });

  it('lists only the keys after startAfter, across pages', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `after/wal_005/${String(i).padStart(24, '0')}.lzo`);
    await putMany(moto.store, BUCKET, keys, () => 'x');
    const store = moto.store;
    const after = await collect(store.list(BUCKET, 'after/', { startAfter: keys[2]! }));
    expect(after.map((o) => o.key)).toEqual(keys.slice(3));
    // Before the prefix's first key: the whole prefix; after its last: nothing.
    expect(await collect(store.list(BUCKET, 'after/', { startAfter: 'after/' }))).toHaveLength(1005);
    expect(await collect(store.list(BUCKET, 'after/', { startAfter: `after/wal_005/\u{10FFFF}` }))).toEqual([]);
    await moto.store.deleteMany(BUCKET, keys);
  });

  it('puts, heads, gets and copies keys with + and = and spaces', async () => {
    const key = 'odd/a+b=c d/sysid';
    const put = await moto.store.put({ bucket: BUCKET, key }, '6262323410585460850\n');
    const head = await moto.store.head({ bucket: BUCKET, key });
    expect(head).toMatchObject({ key, size: 20, etag: put.etag });
    expect((await moto.store.get({ bucket: BUCKET, key })).toString()).toBe('6262323410585460850\n');
    const copied = await moto.store.copy({ bucket: BUCKET, key }, { bucket: BUCKET, key: 'odd/copy+=/sysid' }, 20);
    expect(copied.etag).toBe(put.etag);
    expect(await moto.store.head({ bucket: BUCKET, key: 'odd/missing' })).toBeNull();
  });

  it('copies with UploadPartCopy above the multipart threshold', async () => {
    const store = createS3Store({ ...moto.options, multipartCopyThreshold: 5 * 1024 ** 2, multipartPartSize: 5 * 1024 ** 2 });
    const body = Buffer.alloc(11 * 1024 ** 2 + 123);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    await store.put({ bucket: BUCKET, key: 'big/part_00000000.tar.lzo' }, body);
    const copied = await store.copy(
      { bucket: BUCKET, key: 'big/part_00000000.tar.lzo' },
      { bucket: BUCKET, key: 'big-copy/part_00000000.tar.lzo' },
      body.length,
    );
    expect(copied.etag).toMatch(/-3$/);
    expect(copied.size).toBe(body.length);
    const back = await store.get({ bucket: BUCKET, key: 'big-copy/part_00000000.tar.lzo' });
    expect(back.equals(body)).toBe(true);
  });

  it('retries 503 SlowDown, 429 and 500 and completes', async () => {
    const store = createS3Store({ ...moto.options, endpoint: proxy.endpoint });
    await moto.store.put({ bucket: BUCKET, key: 'retry/a' }, 'a');
    proxy.clear();
    const before = proxy.injected;
    proxy.inject({ method: 'GET', path: /list-type=2/, status: 503, times: 2 });
    proxy.inject({ method: 'PUT', path: /retry\/b/, status: 500, times: 1 });
    proxy.inject({ method: 'HEAD', status: 429, times: 1 });
    await store.put({ bucket: BUCKET, key: 'retry/b' }, 'b');
    expect((await store.head({ bucket: BUCKET, key: 'retry/b' }))?.size).toBe(1);
    expect((await collect(store.list(BUCKET, 'retry/'))).map((o) => o.key)).toEqual(['retry/a', 'retry/b']);
    expect(proxy.injected - before).toBe(4);
    proxy.clear();
  });

  it('gives up after maxAttempts with a message naming the object', async () => {
    const store = createS3Store({ ...moto.options, endpoint: proxy.endpoint, maxAttempts: 2 });
    proxy.clear();
    proxy.inject({ method: 'GET', path: /retry\/a/, status: 500, times: Infinity });
    const err = await store.get({ bucket: BUCKET, key: 'retry/a' }).catch((e: unknown) => e);
    proxy.clear();
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toContain('s3://store-tests/retry/a');
    expect((err as Error).message).toContain('after 2 attempts');
  });

  it('maps AccessDenied to the policy message and never shows the secret key', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const redactor = new Redactor();
    const store = createS3Store({
      ...moto.options,
      endpoint: proxy.endpoint,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret },
      redactor,
    });
    expect(redactor.redact(`x ${secret} y`)).toBe('x [REDACTED] y');
    proxy.clear();
    proxy.inject({ method: 'GET', status: 403, times: Infinity });
    const err = await collect(store.list(BUCKET, 'backups/guid/wal/')).catch((e: unknown) => e);
    proxy.clear();
    expect((err as Error).message).toBe(
      'access denied to s3://store-tests/backups/guid/wal/: check the AWS credentials/policy ' +
        '(s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject)',
    );
    expect(JSON.stringify({ m: (err as Error).message, h: (err as StepFailed).hint })).not.toContain(secret);
  });

  it('names a missing bucket', async () => {
    const err = await collect(moto.store.list('no-such-bucket-here', 'x/')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toContain('bucket "no-such-bucket-here" does not exist');
  });

  it('names the keys a batch delete could not remove', async () => {
    const store = createS3Store({ ...moto.options, endpoint: proxy.endpoint });
    proxy.clear();
    proxy.inject({ method: 'POST', path: /\?delete/, status: 403, times: 1 });
    const err = await store.deleteMany(BUCKET, ['retry/a']).catch((e: unknown) => e);
    proxy.clear();
    expect((err as Error).message).toContain('access denied to s3://store-tests/retry/a');
  });

  it('names the keys DeleteObjects reports as not deleted', async () => {
    const store = createS3Store({ ...moto.options, endpoint: proxy.endpoint });
    await moto.store.put({ bucket: BUCKET, key: 'partial/b' }, 'b');
    proxy.clear();
    proxy.inject({
      method: 'POST',
      path: /\?delete/,
      status: 200,
      body:
        '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Error><Key>partial/a</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>',
    });
    const err = await store.deleteMany(BUCKET, ['partial/a', 'partial/b']).catch((e: unknown) => e);
    proxy.clear();
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toBe('could not delete 1 of 2 objects (AccessDenied: Access Denied): s3://store-tests/partial/a');
  });

  it('says when the endpoint cannot be reached', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const store = createS3Store({ ...moto.options, endpoint, maxAttempts: 1 });
    const err = await store.head({ bucket: BUCKET, key: 'k' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `cannot reach s3 ${endpoint} for head on s3://store-tests/k: connect ECONNREFUSED ${endpoint.slice(7)}`,
    );
  });
});

describe("an endpoint in wal-e's form (WALE_S3_ENDPOINT)", () => {
  it('reaches the server, which the SDK refuses as no URI when given as it is', async () => {
    await moto.store.put({ bucket: BUCKET, key: 'wale-form/one' }, 'one');
    const store = createS3Store({ ...moto.options, endpoint: moto.endpoint.replace(/^http:/, 'http+path:'), forcePathStyle: undefined });
    expect((await store.get({ bucket: BUCKET, key: 'wale-form/one' })).toString()).toBe('one');
  });

  it('is named, with what to give, when it is neither a URL nor that form', async () => {
    const store = createS3Store({ ...moto.options, endpoint: 'https+weird://127.0.0.1:1' });
    const err = (await store.get({ bucket: BUCKET, key: 'x' }).catch((e: unknown) => e)) as StepFailed;
    expect(err.message).toMatch(
      /^S3 get on s3:\/\/store-tests\/x was not sent: Custom endpoint `https\+weird:\/\/127\.0\.0\.1:1` was not a valid URI/,
    );
    expect(err.hint).toMatch(/https\+path:\/\/HOST\[:PORT\].*nothing reached S3/);
  });

  it('is the URL and addressing it names', () => {
    expect(s3EndpointOf('https+path://s3.example.com:8443')).toEqual({ url: 'https://s3.example.com:8443', pathStyle: true });
    expect(s3EndpointOf('HTTPS+virtualhost://s3.example.com')).toEqual({ url: 'https://s3.example.com', pathStyle: false });
    expect(s3EndpointOf('http+subdomain://s3.example.com')).toEqual({ url: 'http://s3.example.com', pathStyle: false });
    expect(s3EndpointOf('https://s3.example.com')).toEqual({ url: 'https://s3.example.com' });
  });
});

describe('copies', () => {
  it('copies many objects at once, each landing whole, and names a missing source', async () => {
    const store = createS3Store(moto.options);
    const keys = Array.from({ length: 30 }, (_, i) => `copies/${String(i).padStart(4, '0')}`);
    await putMany(moto.store, BUCKET, keys, (k) => `body of ${k}`);
    const done = await Promise.all(
      keys.map((k) => store.copy({ bucket: BUCKET, key: k }, { bucket: BUCKET, key: `copies-copy/${k}` }, 20)),
    );
    for (const [i, k] of keys.entries()) expect(done[i]!.etag).toBe((await moto.store.head({ bucket: BUCKET, key: k }))!.etag);
    const err = await store
      .copy({ bucket: BUCKET, key: 'copies/none' }, { bucket: BUCKET, key: 'copies-copy/none' }, 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toContain('copies/none');
  });
});
