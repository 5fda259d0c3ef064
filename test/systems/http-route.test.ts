/**
 * S3 and Elasticsearch traffic follows aws-cli's proxy rules (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and
 * AWS_CA_BUNDLE: a real proxy on loopback, moto behind it, and a TLS front with its own CA.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyReport } from '../../src/core/log-source.js';
import { Redactor } from '../../src/core/redact.js';
import { bypassesProxy, proxyFor } from '../../src/systems/http-proxy.js';
import { searchEs } from '../../src/systems/elasticsearch/index.js';
import { createS3Store } from '../../src/systems/s3/index.js';
import { startEsHttp, type EsHttp } from '../support/es-http.js';
import { listenOnLoopback, loopbackCertificate, stopHttp } from '../support/loopback.js';
import { startMoto, type Moto } from '../support/moto.js';
import { ifStarted } from '../support/started.js';

describe("aws-cli's proxy rules", () => {
  it('take the proxy of the scheme, lower-case names first, http:// when none is written', () => {
    expect(proxyFor('https://s3.amazonaws.com/', { HTTPS_PROXY: 'proxy:3128' }, new Redactor())).toBe('http://proxy:3128');
    expect(proxyFor('https://s3.amazonaws.com/', { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' }, new Redactor())).toBe(
      'http://low:1',
    );
    expect(proxyFor('http://127.0.0.1:9000/', { HTTPS_PROXY: 'http://p:1' }, new Redactor())).toBeUndefined();
    expect(proxyFor('http://127.0.0.1:9000/', { HTTP_PROXY: 'http://p:1' }, new Redactor())).toBe('http://p:1');
    expect(proxyFor('https://s3.amazonaws.com/', {}, new Redactor())).toBeUndefined();
  });

  it.each([
    ['s3.eu-west-1.amazonaws.com', '443', 'amazonaws.com', true],
    ['bucket.s3.eu-west-1.amazonaws.com', '443', '.amazonaws.com', true],
    ['bucket.s3.eu-west-1.amazonaws.com', '443', 's3.eu-west-1.amazonaws.com', true],
    ['notamazonaws.com', '443', 'amazonaws.com', false],
    ['logsearch.internal', '9200', 'logsearch.internal:9200', true],
    ['logsearch.internal', '443', 'logsearch.internal:9200', false],
    ['10.0.0.5', '80', ' 10.0.0.5 , other', true],
    ['anything', '80', '*', true],
    ['anything', '80', '', false],
  ])('%s:%s with NO_PROXY=%j is direct: %s', (host, port, noProxy, direct) => {
    expect(bypassesProxy(host, port, noProxy)).toBe(direct);
  });

  it('a proxy password never reaches a message', () => {
    const proxy = proxyFor('https://s3.amazonaws.com/', { HTTPS_PROXY: 'http://ops:pr0xy-s3cret@proxy:3128' }, new Redactor());
    expect(proxy).toBe('http://ops:pr0xy-s3cret@proxy:3128');
    const store = createS3Store({ redactor: new Redactor(), region: 'eu-west-1' }, { HTTPS_PROXY: proxy });
    expect(store.where).toBe('s3 eu-west-1 via proxy http://proxy:3128');
  });
});

interface Proxy {
  url: string;
  /** `METHOD target` of every request and tunnel it carried. */
  seen: string[];
  stop(): Promise<void>;
}

async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const server = createProxy(http.createServer());
  server.on('request', (req: http.IncomingMessage) => seen.push(`${req.method ?? ''} ${req.url ?? ''}`));
  server.on('connect', (req: http.IncomingMessage) => seen.push(`CONNECT ${req.url ?? ''}`));
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, seen, stop: () => stopHttp(server) };
}

/** A TLS front for moto with a certificate of its own CA (SAN IP:127.0.0.1). */
async function startTlsFront(target: string, dir: string): Promise<{ url: string; ca: string; stop(): Promise<void> }> {
  const { key, cert } = loopbackCertificate(dir);
  const upstream = new URL(target);
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(forward);
  });
  const port = await listenOnLoopback(server);
  return { url: `https://127.0.0.1:${port}`, ca: cert, stop: () => stopHttp(server) };
}

describe('through a real proxy on loopback', () => {
  let moto: Moto;
  let proxy: Proxy;
  let es: EsHttp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dr-proxy-'));
    [moto, proxy, es] = await Promise.all([
      startMoto(),
      startProxy(),
      startEsHttp({
        index: 'logs-platform',
        documents: () => [{ _source: { '@timestamp': '2016-03-17T06:00:00Z', message: 'hello proxy' } }],
      }),
    ]);
    await moto.createBucket('proxied');
  });
  afterAll(async () => {
    await Promise.all([ifStarted(moto)?.stop(), ifStarted(proxy)?.stop(), ifStarted(es)?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('S3 requests, the direct copies included, cross the proxy HTTP_PROXY names', async () => {
    proxy.seen.length = 0;
    const store = createS3Store({ ...moto.options }, { HTTP_PROXY: proxy.url });
    expect(store.where).toContain(`via proxy ${proxy.url}`);
    for (let i = 0; i < 3; i++) await store.put({ bucket: 'proxied', key: `src/${i}` }, `body ${i}`);
    for (let i = 0; i < 3; i++) await store.copy({ bucket: 'proxied', key: `src/${i}` }, { bucket: 'proxied', key: `dst/${i}` }, 6);
    const listed: string[] = [];
    for await (const o of store.list('proxied', 'dst/')) listed.push(o.key);
    expect(listed).toEqual(['dst/0', 'dst/1', 'dst/2']);
    const port = new URL(moto.endpoint).port;
    expect(proxy.seen.filter((s) => s.startsWith(`PUT http://127.0.0.1:${port}/proxied/src/`))).toHaveLength(3);
    // The first copy goes through the SDK, the others straight: every one through the proxy.
    expect(proxy.seen.filter((s) => s.startsWith(`PUT http://127.0.0.1:${port}/proxied/dst/`))).toHaveLength(3);
    expect(
      proxy.seen.some((s) => s.startsWith(`GET http://127.0.0.1:${port}/proxied`) && s.includes('list-type=2')),
      proxy.seen.join('\n'),
    ).toBe(true);
  });

  it('NO_PROXY sends them direct', async () => {
    proxy.seen.length = 0;
    const store = createS3Store({ ...moto.options }, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    await store.put({ bucket: 'proxied', key: 'direct' }, 'x');
    expect(proxy.seen).toEqual([]);
  });

  it('an https endpoint is reached through a CONNECT tunnel and trusted by AWS_CA_BUNDLE alone', async () => {
    const front = await startTlsFront(moto.endpoint, dir);
    try {
      proxy.seen.length = 0;
      const options = { ...moto.options, endpoint: front.url, maxAttempts: 1 };
      const direct = createS3Store(options, { AWS_CA_BUNDLE: front.ca });
      await direct.put({ bucket: 'proxied', key: 'tls0' }, 'over tls');
      const trusting = createS3Store(options, { HTTPS_PROXY: proxy.url, AWS_CA_BUNDLE: front.ca });
      await trusting.put({ bucket: 'proxied', key: 'tls' }, 'over tls');
      expect(proxy.seen).toContain(`CONNECT ${front.url.replace('https://', '')}`);
      const untrusting = createS3Store(options, { HTTPS_PROXY: proxy.url });
      await expect(untrusting.put({ bucket: 'proxied', key: 'tls2' }, 'x')).rejects.toThrow(/self[- ]signed|certificate/i);
    } finally {
      await front.stop();
    }
  });

  it('an unreadable AWS_CA_BUNDLE is named', () => {
    expect(() => createS3Store(moto.options, { AWS_CA_BUNDLE: join(dir, 'none.pem') })).toThrow(
      `cannot read AWS_CA_BUNDLE ${join(dir, 'none.pem')}: ENOENT`,
    );
  });

  it('the Elasticsearch search crosses the proxy too', async () => {
    proxy.seen.length = 0;
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    try {
      const lines: string[] = [];
      await searchEs(
        { redactor: new Redactor(), url: es.url, index: 'logs-*' },
        ['hello proxy'],
        ['hello'],
        emptyReport(['hello proxy']),
        (hit) => lines.push(hit.line),
      );
      expect(lines.join('\n')).toContain('hello proxy');
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
    // An http endpoint is asked in absolute form, as curl and aws-cli do: no CONNECT, which Squid refuses outside 443.
    expect(proxy.seen).toContain(`POST ${es.url}/logs-*/_search?scroll=2m`);
    expect(proxy.seen.filter((s) => s.startsWith('CONNECT'))).toEqual([]);
  });
});

describe('the region', () => {
  it("is the AWS_PROFILE profile's when no flag or variable names one, as aws-cli takes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-profile-'));
    const scopes: string[] = [];
    const server = http.createServer((req, res) => {
      scopes.push(/Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200, { etag: '"x"' }).end());
    });
    const port = await listenOnLoopback(server);
    try {
      writeFileSync(join(dir, 'config'), '[profile ops]\nregion = eu-central-1\n');
      Object.assign(process.env, { AWS_PROFILE: 'ops', AWS_CONFIG_FILE: join(dir, 'config') });
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      const endpoint = `http://127.0.0.1:${port}`;
      const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret-key' };
      await createS3Store({ redactor: new Redactor(), endpoint, forcePathStyle: true, credentials }, process.env).put(
        { bucket: 'b', key: 'k' },
        'x',
      );
      await createS3Store(
        { redactor: new Redactor(), endpoint, forcePathStyle: true, credentials },
        { ...process.env, AWS_DEFAULT_REGION: 'ap-south-1' },
      ).put({ bucket: 'b', key: 'k' }, 'x');
      expect(scopes).toEqual(['eu-central-1', 'ap-south-1']);
    } finally {
      await stopHttp(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
