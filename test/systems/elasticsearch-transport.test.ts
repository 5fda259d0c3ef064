/**
 * How the log search reaches Elasticsearch: TLS checked against --es-ca-file (directly and through
 * a CONNECT proxy), kept-alive connections for a whole search, and the answers of what stands
 * in front of a server (a redirect, a proxy's error page) named rather than followed or misread.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyReport } from '../../src/core/log-source.js';
import { searchEs } from '../../src/systems/elasticsearch/index.js';
import { startEsHttp, type EsHttp } from '../support/es-http.js';
import { listenOnLoopback, loopbackCertificate, stopHttp } from '../support/loopback.js';

const PHRASE = 'deprovision.start';
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

async function search(url: string, caFile?: string): Promise<string[]> {
  const lines: string[] = [];
  await searchEs({ url, caFile }, [PHRASE], emptyReport([PHRASE]), (hit) => lines.push(hit.line));
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
    // GET /, the point in time, three pages and its close: six requests over one connection.
    expect(tlsEs.requests.length).toBe(6);
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
