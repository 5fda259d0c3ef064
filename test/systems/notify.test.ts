/** A webhook POST: through the proxy the environment names, and given up when no answer comes. */
import http from 'node:http';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../../src/systems/notify.js';
import { listenOnLoopback, stopHttp } from '../support/loopback.js';
import { startStalledServer } from '../support/stalled-server.js';
import { Redactor } from '../../src/core/redact.js';

async function listen(server: http.Server): Promise<string> {
  return `http://127.0.0.1:${await listenOnLoopback(server)}`;
}

const received: { url: string; body: string }[] = [];
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    received.push({ url: req.url ?? '', body });
    if (req.url === '/silent') return; // never answers
    res.writeHead(200).end('ok');
  });
});
const proxied: string[] = [];
const proxy = createProxy(http.createServer());
proxy.on('request', (req: http.IncomingMessage) => proxied.push(`${req.method ?? ''} ${req.url ?? ''}`));
let hookUrl = '';
let proxyUrl = '';

beforeAll(async () => {
  hookUrl = await listen(hook);
  proxyUrl = await listen(proxy);
});
afterAll(async () => {
  await stopHttp(hook);
  await stopHttp(proxy);
});

describe('postJson', () => {
  it('posts the JSON through the proxy HTTP_PROXY names', async () => {
    const status = await postJson(`${hookUrl}/hook`, { text: 'hello' }, { redactor: new Redactor(), env: { HTTP_PROXY: proxyUrl } });
    expect(status).toBe(200);
    expect(proxied).toEqual([`POST ${hookUrl}/hook`]);
    expect(received.at(-1)).toEqual({ url: '/hook', body: '{"text":"hello"}' });
  });

  it('gives up on a webhook that does not answer in time', async () => {
    await expect(postJson(`${hookUrl}/silent`, {}, { redactor: new Redactor(), timeoutMs: 200, env: {} })).rejects.toThrow(
      'no answer within 0.2 s',
    );
  });
});

describe('postJson against a webhook that stalls', () => {
  for (const stall of ['silent', 'headers', 'trickle'] as const) {
    it(`gives up on one that ${stall === 'silent' ? 'never answers' : stall === 'headers' ? 'answers its headers and stalls' : 'trickles its answer'}, naming it`, async () => {
      const server = await startStalledServer(stall, { intervalMs: 20, contentType: 'text/plain' });
      try {
        await expect(postJson(`${server.url}/hook`, { text: 'x' }, { redactor: new Redactor(), timeoutMs: 300, env: {} })).rejects.toThrow(
          `127.0.0.1:${server.port} gave no answer within 0.3 s`,
        );
        expect(server.requests).toEqual(['POST /hook HTTP/1.1']);
      } finally {
        await server.stop();
      }
    });
  }
});
