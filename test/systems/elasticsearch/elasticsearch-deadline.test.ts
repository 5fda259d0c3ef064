/**
 * Elasticsearch requests that stall: a server (or a proxy before it) that answers its headers and
 * then trickles a byte every second never passes undici's own body timeout, a silence between two
 * chunks; each attempt has a deadline over the whole exchange instead, the wait is said on the
 * screen while it lasts (the server, the request, the attempt of how many), and the request gives up
 * after its attempts naming the flag that gives it longer. Real HTTP servers on loopback.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/core/duration.js';
import { DEFAULT_ES_TIMEOUT_SECONDS, emptyReport, ES_ATTEMPTS } from '../../../src/core/log-source.js';
import { Redactor } from '../../../src/core/redact.js';
import { onWaiting } from '../../../src/core/waits.js';
import { NOTICE_MS, stalledGivesUpAfterMs } from '../../../src/systems/elasticsearch/elasticsearch-attempts.js';
import { searchEs } from '../../../src/systems/elasticsearch/index.js';
import { runCli } from '../../support/cli.js';
import { startEsHttp } from '../../support/es-http.js';
import { listenOnLoopback, stopHttp } from '../../support/loopback.js';

const ROOT = { name: 'es-1', cluster_name: 'logsearch', version: { number: '8.15.0' }, tagline: 'You Know, for Search' };
const HIT = {
  _index: 'logs-1',
  _id: 'a',
  _source: { '@timestamp': '2017-01-10T00:00:00Z', '@raw': 'Jan 10 00:00:00 router broker:  deprovision start 1' },
};
/** The first page of a scroll: one hit of two, so the search reads on. */
const FIRST_PAGE = {
  _scroll_id: 'scroll-1',
  timed_out: false,
  _shards: { total: 1, successful: 1, failed: 0 },
  hits: { total: 2, hits: [HIT] },
};

interface Trickling {
  url: string;
  port: number;
  /** "METHOD /path" of every request, in order. */
  requests: string[];
  stop(): Promise<void>;
}

const servers: Trickling[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/**
 * An Elasticsearch 8 on loopback that answers GET / and the requests `answers` gives a body, and
 * answers every other one with its headers and a byte of a JSON body, then one more every
 * `intervalMs`, never its end.
 */
async function trickling(intervalMs: number, answers: (method: string, path: string) => unknown = () => undefined): Promise<Trickling> {
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const line = `${req.method ?? ''} ${req.url ?? ''}`;
    requests.push(line);
    req.resume();
    const body = req.url === '/' ? ROOT : answers(req.method ?? '', req.url ?? '');
    if (body !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    // The headers at once, as a proxy passing on a slow answer sends them.
    res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    const text = JSON.stringify(FIRST_PAGE);
    let at = 0;
    const trickle = (): boolean => res.write(text[at++ % text.length]);
    trickle();
    const timer = setInterval(trickle, intervalMs);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  });
  const port = await listenOnLoopback(server);
  const s: Trickling = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await stopHttp(server);
    },
  };
  servers.push(s);
  return s;
}

/** How a search of `logs-1` at `url` with each attempt given `timeoutSeconds` fails (undefined when it does not). */
function searchFailure(url: string, timeoutSeconds: number): Promise<(Error & { hint?: string }) | undefined> {
  const phrase = 'deprovision start';
  return searchEs(
    { redactor: new Redactor(), url, index: 'logs-1', timeoutSeconds },
    [phrase],
    [phrase],
    emptyReport([phrase]),
    () => undefined,
  ).then(
    () => undefined,
    (e: unknown) => e as Error & { hint?: string },
  );
}

describe('the default deadlines', () => {
  it('give a stalled endpoint up within two minutes in all, say it within 10 s, and --es-timeout gives each attempt longer', () => {
    expect(DEFAULT_ES_TIMEOUT_SECONDS).toBe(25);
    expect(ES_ATTEMPTS).toBe(4);
    // Four attempts of 25 s, and 0.5, 1 and 2 s between them.
    expect(stalledGivesUpAfterMs()).toBe(4 * 25_000 + 500 + 1000 + 2000);
    expect(stalledGivesUpAfterMs()).toBeLessThanOrEqual(120_000);
    expect(NOTICE_MS).toBeLessThanOrEqual(10_000);
    expect(stalledGivesUpAfterMs(120)).toBe(4 * 120_000 + 3500);
  });
});

describe('a server that trickles its answer', () => {
  it('logs find says what it waits on each attempt, and gives up after four, naming --es-timeout', async () => {
    // A byte a second: each one restarts undici's own body timeout, so only a whole deadline ends it.
    const es = await trickling(1000);
    const started = Date.now();
    const r = await runCli(['logs', 'find', '--service-name', 'x', '--es-url', es.url, '--es-index', 'logs-1', '--es-timeout', '1.5']);
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    const request = `Elasticsearch at ${es.url} \\(POST /logs-1/_search\\?scroll=2m\\)`;
    // Said after half the deadline (the headers and first byte came at once, unless the machine was
    // too busy to read them by then).
    const waited = '(has sent [1-9]\\d* bytes? of its answer in 0\\.8 s, not all of it|has not answered for 0\\.8 s)';
    for (const n of [1, 2, 3, 4])
      expect(r.stderr).toMatch(
        new RegExp(`dingo-recover: ${request} ${waited} \\(attempt ${n} of 4; each attempt gives up after 1\\.5 s\\)`),
      );
    expect(r.stderr).toMatch(
      new RegExp(`${request} sent [1-9]\\d* bytes? of its answer in 1\\.5 s and not the rest: it stalls \\(4 attempts\\)`),
    );
    expect(r.stderr).toContain(
      'if it is only slow, give each request longer with --es-timeout SECONDS (or ES_TIMEOUT; now 1.5 s an attempt, 4 attempts)',
    );
    expect(es.requests).toEqual(['GET /', ...Array<string>(4).fill('POST /logs-1/_search?scroll=2m')]);
    // Four deadlines and the pauses between (and the CLI's start, however busy the machine), not the
    // endless time a trickle would otherwise last.
    expect(took).toBeGreaterThanOrEqual(4 * 1500 + 3500);
    expect(took).toBeLessThan(30_000);
  });

  it('a read of a scroll that stalls is not sent again (it may have read a page): the search stops, its clearing tried once', async () => {
    // The read on and the clearing trickle; the search that opens the scroll answers.
    const es = await trickling(50, (method, path) => (method === 'POST' && path.endsWith('_search?scroll=2m') ? FIRST_PAGE : undefined));
    const said: string[] = [];
    const quiet = onWaiting((t) => said.push(t));
    const err = await searchFailure(es.url, 1);
    quiet();
    expect(err?.message).toMatch(
      new RegExp(
        `failed: Elasticsearch at ${es.url} \\(POST /_search/scroll\\) sent \\d+ bytes? of its answer in 1\\.0 s and not the rest: it stalls \\(not sent again: `,
      ),
    );
    expect(err?.hint).toContain('--es-timeout');
    expect(es.requests).toEqual(['GET /', 'POST /logs-1/_search?scroll=2m', 'POST /_search/scroll', 'DELETE /_search/scroll']);
    // GET / may be said too on a busy machine (its first connection); the scroll's are what matter here.
    expect(said.filter((t) => t.includes('/_search/scroll'))).toEqual(
      [
        ['POST', 4],
        ['DELETE', 1],
      ].map(([method, of]) =>
        expect.stringMatching(
          new RegExp(
            `^Elasticsearch at ${es.url} \\(${method} /_search/scroll\\) has sent [1-9]\\d* bytes? of its answer in ${formatDuration(500)}, not all of it \\(attempt 1 of ${of};`,
          ),
        ),
      ),
    );
  });
});

describe('a server that accepts and never answers', () => {
  it('each attempt is said and ends at the --es-timeout, and the search gives up naming the server, the request and the flag', async () => {
    const hanging = new Set<http.ServerResponse>();
    const server = http.createServer((_req, res) => hanging.add(res));
    const port = await listenOnLoopback(server);
    const said: string[] = [];
    const quiet = onWaiting((t) => said.push(t));
    try {
      const err = await searchFailure(`http://127.0.0.1:${port}`, 0.3);
      expect(err?.message).toBe(
        `Elasticsearch search of logs-1 at http://127.0.0.1:${port} failed: Elasticsearch at http://127.0.0.1:${port} (GET /) gave no answer within 0.3 s (4 attempts)`,
      );
      expect(err?.hint).toContain('give each request longer with --es-timeout SECONDS (or ES_TIMEOUT; now 0.3 s an attempt, 4 attempts)');
      expect(said).toEqual(
        [1, 2, 3, 4].map(
          (n) =>
            `Elasticsearch at http://127.0.0.1:${port} (GET /) has not answered for ${formatDuration(150)} (attempt ${n} of 4; each attempt gives up after 0.3 s)`,
        ),
      );
      expect(hanging.size).toBe(4);
    } finally {
      quiet();
      for (const res of hanging) res.destroy();
      await stopHttp(server);
    }
  });
});

describe('a server that asks to wait', () => {
  it('a Retry-After of a few seconds is said while it is waited, naming the server, the request and the next attempt', async () => {
    let asked = false;
    const es = await startEsHttp({
      index: 'logs-1',
      documents: () => [HIT],
      intercept: (r) => {
        if (asked || r.method !== 'POST') return undefined;
        asked = true;
        return {
          status: 429,
          headers: { 'retry-after': '5' },
          body: { error: { type: 'es_rejected_execution_exception', reason: 'rejected' }, status: 429 },
        };
      },
    });
    const said: string[] = [];
    const quiet = onWaiting((t) => said.push(t));
    try {
      expect(await searchFailure(es.url, 2)).toBeUndefined();
    } finally {
      quiet();
      await es.stop();
    }
    expect(said).toEqual([
      `Elasticsearch at ${es.url} (POST /logs-1/_search?scroll=2m) answered HTTP 429 and asks to wait 5.0 s (Retry-After) before attempt 2 of 4`,
    ]);
  });
});
