/**
 * How the log search reaches Elasticsearch: TLS checked against --es-ca-file (directly and through
 * a CONNECT proxy), an http:// server through a proxy that refuses CONNECT (asked in absolute
 * form), kept-alive connections for a whole search, the answers of what stands in front of a server
 * (a redirect, a proxy's error page, a web server that is not Elasticsearch) named rather than
 * followed or misread, and bounded retries of a busy or restarting server (elasticsearch-deadline.test.ts
 * has the deadlines).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyReport } from '../../../src/core/log-source.js';
import { searchEs } from '../../../src/systems/elasticsearch/index.js';
import { startEsHttp, type EsHttp } from '../../support/es-http.js';
import type { Json } from '../../support/es-http-query.js';
import { listenOnLoopback, loopbackCertificate, stopHttp } from '../../support/loopback.js';
import { Redactor } from '../../../src/core/redact.js';

const PHRASE = 'deprovision start';
const DOCS = Array.from({ length: 2500 }, (_, i) => ({
  _source: { '@timestamp': new Date(1_484_000_000_000 + i * 1000).toISOString(), '@raw': `Jan 10 00:00:00 router broker:  ${PHRASE} ${i}` },
}));

let dir: string;
let ca: string;
let tlsEs: EsHttp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dr-es-transport-'));
  const { key, cert } = loopbackCertificate(dir);
  ca = cert;
  tlsEs = await startEsHttp({ index: 'logs-1', documents: () => DOCS, tls: { key: readFileSync(key), cert: readFileSync(ca) } });
});
afterAll(async () => {
  await tlsEs.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function search(url: string, caFile?: string, timeoutSeconds?: number, maxDocs?: number): Promise<string[]> {
  const lines: string[] = [];
  await searchEs(
    { redactor: new Redactor(), url, caFile, index: 'logs-1', timeoutSeconds, maxDocs },
    [PHRASE],
    [PHRASE],
    emptyReport([PHRASE]),
    (hit) => lines.push(hit.line),
  );
  return lines;
}

/** A CONNECT proxy on loopback that records what it was asked. */
async function startConnectProxy(): Promise<{ url: string; seen: string[]; stop(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url ?? ''}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, seen, stop: () => stopHttp(server) };
}

describe('TLS and connections', () => {
  it('trusts the certificate --es-ca-file names, and no other, and keeps its connections alive for the whole search', async () => {
    const before = tlsEs.connections();
    expect(await search(tlsEs.url, ca)).toHaveLength(DOCS.length);
    // GET /, the scroll's three pages and its clearing: five requests over one connection.
    expect(tlsEs.requests.length).toBe(5);
    // Kept alive: undici may open a second connection when the next request leaves before the first
    // connection is handed back, never one per request.
    expect(tlsEs.connections() - before).toBeLessThanOrEqual(2);
    await expect(search(tlsEs.url)).rejects.toThrow(/failed: cannot reach https:\/\/127\.0\.0\.1:\d+: .*self[- ]signed certificate/);
  });

  it('checks the certificate against --es-ca-file through a proxy too', async () => {
    const proxy = await startConnectProxy();
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = proxy.url;
    try {
      expect(await search(tlsEs.url, ca)).toHaveLength(DOCS.length);
      await expect(search(tlsEs.url)).rejects.toThrow(/self[- ]signed certificate/);
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
      await proxy.stop();
    }
    expect(proxy.seen[0]).toBe(`CONNECT ${tlsEs.url.replace('https://', '')}`);
  });
});

describe('what stands in front of the server', () => {
  async function front(status: number, headers: Record<string, string>, body: string): Promise<{ url: string; stop(): Promise<void> }> {
    const server = http.createServer((_req, res) => res.writeHead(status, headers).end(body));
    const port = await listenOnLoopback(server);
    return { url: `http://127.0.0.1:${port}`, stop: () => stopHttp(server) };
  }

  it('a redirect is named, not followed with the credentials', async () => {
    const f = await front(301, { location: 'https://logsearch.example.com:9200/' }, '');
    try {
      await expect(search(f.url)).rejects.toThrow(
        `failed: HTTP 301: redirected to https://logsearch.example.com:9200/; give the Elasticsearch address itself as --es-url`,
      );
    } finally {
      await f.stop();
    }
  });

  it("a proxy's error page is quoted, not parsed", async () => {
    const f = await front(502, { 'content-type': 'text/html' }, '<html><body><h1>502 Bad Gateway</h1></body></html>');
    try {
      await expect(search(f.url)).rejects.toThrow('failed: HTTP 502: "<html><body><h1>502 Bad Gateway</h1></body></html>"');
    } finally {
      await f.stop();
    }
  });
});

describe('an http:// server through a proxy that refuses CONNECT (a default Squid outside 443)', () => {
  it('is asked in absolute form, as curl and aws-cli ask it', async () => {
    const es = await startEsHttp({ index: 'logs-1', documents: () => DOCS });
    const seen: string[] = [];
    const server = createProxy(http.createServer());
    server.on('request', (req: http.IncomingMessage) => seen.push(`${req.method ?? ''} ${req.url ?? ''}`));
    server.removeAllListeners('connect');
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
      seen.push(`CONNECT ${req.url ?? ''}`);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    const port = await listenOnLoopback(server);
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = `http://127.0.0.1:${port}`;
    try {
      expect(await search(es.url)).toHaveLength(DOCS.length);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      await stopHttp(server);
      await es.stop();
    }
    expect(seen[0]).toBe(`GET ${es.url}/`);
    expect(seen).toContain(`POST ${es.url}/logs-1/_search?scroll=2m`);
    expect(seen.some((s) => s.startsWith('CONNECT'))).toBe(false);
  });
});

describe('a busy or restarting server', () => {
  it("is asked again after a 429 (waiting its Retry-After) and a gateway's 502, 503 and 504, and the search completes", async () => {
    const faults = [
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { type: 'es_rejected_execution_exception', reason: 'rejected' }, status: 429 },
      },
      { status: 502 },
      { status: 503 },
      undefined,
      { status: 504 },
    ];
    const es = await startEsHttp({ index: 'logs-1', documents: () => DOCS, intercept: () => faults.shift() });
    const started = Date.now();
    try {
      expect(await search(es.url)).toHaveLength(DOCS.length);
    } finally {
      await es.stop();
    }
    // GET / was answered 429, then 502 and 503 (three more tries); the search 504 once.
    expect(es.requests.map((r) => r.status).slice(0, 6)).toEqual([429, 502, 503, 200, 504, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000 + 1000 + 500);
  });

  it('gives up after four tries, with the last answer', async () => {
    const es = await startEsHttp({ index: 'logs-1', documents: () => DOCS, intercept: () => ({ status: 503 }) });
    try {
      await expect(search(es.url)).rejects.toThrow(/failed: HTTP 503$/);
    } finally {
      await es.stop();
    }
    expect(es.requests).toHaveLength(4);
  });

  it('a read of a scroll is not sent again after a 502, which may have read a page: the search stops', async () => {
    let reads = 0;
    const es = await startEsHttp({
      index: 'logs-1',
      documents: () => DOCS,
      intercept: (r) => (r.path === '/_search/scroll' && r.method === 'POST' && ++reads === 1 ? { status: 502 } : undefined),
    });
    try {
      await expect(search(es.url)).rejects.toThrow(/failed: HTTP 502$/);
    } finally {
      await es.stop();
    }
    expect(es.requests.filter((r) => r.path === '/_search/scroll' && r.method === 'POST')).toHaveLength(1);
    expect(es.openScrolls()).toEqual([]);
  });

  it('a scroll that answers the page before again stops, saying it makes no progress, and is cleared', async () => {
    let reads = 0;
    const es: EsHttp = await startEsHttp({
      index: 'logs-1',
      documents: () => DOCS,
      intercept: (r) => {
        if (r.path !== '/_search/scroll' || r.method !== 'POST' || ++reads === 1) return undefined;
        const before = es.requests.filter((q) => q.method === 'POST' && q.response !== undefined).at(-1);
        return { status: 200, body: before!.response as Json };
      },
    });
    try {
      await expect(search(es.url)).rejects.toThrow(
        'the scroll answered the same 1000 document(s) as its page before, after 2000 read: it makes no progress',
      );
    } finally {
      await es.stop();
    }
    expect(reads).toBe(2);
    expect(es.openScrolls()).toEqual([]);
  });

  it('a search past its cap on documents stops naming the cap and the flag that raises it; raised, it reads them all', async () => {
    const es = await startEsHttp({ index: 'logs-1', documents: () => DOCS });
    try {
      const err = await search(es.url, undefined, undefined, 1500).catch((e: unknown) => e as Error & { hint?: string });
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('the search passed 1500 documents, the most it reads (2000 read) and the scroll goes on');
      expect((err as { hint?: string }).hint).toContain('--es-max-docs');
      expect(es.openScrolls()).toEqual([]);
      expect(await search(es.url, undefined, undefined, 2500)).toHaveLength(2500);
    } finally {
      await es.stop();
    }
  });

  it('a refused connection is tried again, then named', async () => {
    const server = http.createServer();
    const port = await listenOnLoopback(server);
    await stopHttp(server);
    const started = Date.now();
    await expect(search(`http://127.0.0.1:${port}`)).rejects.toThrow(
      new RegExp(`failed: cannot reach http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    // 0.5 + 1 + 2 s between the four tries.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
  });
});

describe('a server that is not Elasticsearch', () => {
  it('a web server answering 404 to everything is said not to be Elasticsearch', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    const port = await listenOnLoopback(server);
    try {
      await expect(search(`http://127.0.0.1:${port}`)).rejects.toThrow(
        'failed: it is not Elasticsearch: GET / answered 404 (HTTP 404: "<h1>Not Found</h1>"), where every Elasticsearch and OpenSearch describes itself',
      );
    } finally {
      await stopHttp(server);
    }
  });
});
