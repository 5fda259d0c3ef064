/**
 * The log search gets the same lines from every Elasticsearch and OpenSearch release Logsearch-era
 * platforms run, each simulated with its own answers (es-http-versions.ts): through a point in
 * time where the release pages one exactly, else through a scroll, cleared at the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyReport, type SearchReport } from '../../src/core/log-source.js';
import { StepFailed } from '../../src/core/errors.js';
import { PAGE_SIZE, searchEs, toLine } from '../../src/systems/elasticsearch/index.js';
import { startEsHttp, type EsDocument, type EsHttp, type EsHttpOptions } from '../support/es-http.js';
import { flavour, FLAVOURS, type EsFlavour } from '../support/es-http-versions.js';

const PHRASES = ['deprovision.start', 'action=push-wal'];
const BASE = Date.parse('2017-01-10T00:00:00Z');
const COUNT = 3000;
const WINDOW = { since: new Date(BASE + 100_000), until: new Date(BASE + (COUNT / 3 - 100) * 1000) };

/** Documents in an order that is not time's, three to a second (so pages break inside a second). */
function documents(): EsDocument[] {
  const docs: EsDocument[] = [];
  for (let n = 0; n < COUNT; n++) {
    const i = (n * 7919) % COUNT;
    const at = new Date(BASE + Math.floor(i / 3) * 1000).toISOString();
    const payload = i % 2 === 0 ? `{"message":"dingo-postgresql-broker.deprovision.start","data":{"n":${i}}}` : `noise ${i}`;
    docs.push(
      i % 5 === 0
        ? { _id: `d${i}`, _source: { '@timestamp': at, '@raw': `Jan 10 00:00:00 router broker.stdout.log:  ${payload}` } }
        : { _id: `d${i}`, _source: { '@timestamp': at, message: payload, syslog_hostname: 'router', syslog_program: 'broker.stdout.log' } },
    );
  }
  return docs;
}

const DOCS = documents();
/** What any server must hand over: the matching documents of the window, by time, then by their place in the index. */
const EXPECTED = DOCS.map((d, place) => ({ d, place, t: Date.parse(d._source['@timestamp'] as string) }))
  .filter(({ d, t }) => t >= WINDOW.since.getTime() && t <= WINDOW.until.getTime() && toLine(d._source)!.includes('deprovision.start'))
  .sort((a, b) => a.t - b.t || a.place - b.place)
  .map(({ d }) => toLine(d._source));

let servers: EsHttp[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function serve(f: EsFlavour, o: Partial<EsHttpOptions> = {}): Promise<EsHttp> {
  const es = await startEsHttp({ index: 'logs-2017.01.10', documents: () => DOCS, flavour: f, ...o });
  servers.push(es);
  return es;
}

async function search(es: EsHttp, spec: { apiKey?: string; index?: string } = {}): Promise<{ lines: string[]; report: SearchReport }> {
  const lines: string[] = [];
  const report = emptyReport(PHRASES);
  await searchEs({ url: es.url, ...spec }, PHRASES, report, (hit) => lines.push(hit.line), WINDOW);
  return { lines, report };
}

const calls = (es: EsHttp): string[] => es.requests.map((r) => `${r.method} ${r.path}`);

describe('the log search on each release', () => {
  it('has more lines to find than one page holds', () => {
    expect(EXPECTED.length).toBeGreaterThan(PAGE_SIZE);
  });

  it.each(FLAVOURS.filter((f) => f.shardDoc).map((f) => [f.name, f] as const))(
    '%s: pages through a point in time with search_after, and closes it',
    async (_name, f) => {
      const es = await serve(f);
      const { lines, report } = await search(es);
      expect(lines).toEqual(EXPECTED);
      const pages = Math.floor(EXPECTED.length / PAGE_SIZE) + 1;
      expect(calls(es)).toEqual(['GET /', 'POST /logs-*/_pit', ...Array<string>(pages).fill('POST /_search'), 'DELETE /_pit']);
      expect(es.requests.every((r) => r.status === 200)).toBe(true);
      expect(es.openPits()).toEqual([]);
      expect(report.notes).toContain(
        `searched Elasticsearch ${(f.root.version as { number: string }).number} at ${es.url} through a point in time`,
      );
    },
  );

  it.each(FLAVOURS.filter((f) => !f.shardDoc).map((f) => [f.name, f] as const))(
    '%s: scrolls with the time window and the phrases pushed down, and clears the scroll',
    async (_name, f) => {
      const es = await serve(f);
      const { lines, report } = await search(es);
      expect(lines).toEqual(EXPECTED);
      const reads = Math.ceil(EXPECTED.length / PAGE_SIZE) - 1;
      expect(calls(es)).toEqual([
        'GET /',
        'POST /logs-*/_search',
        ...Array<string>(reads).fill('POST /_search/scroll'),
        'DELETE /_search/scroll',
      ]);
      expect(es.requests.every((r) => r.status === 200)).toBe(true);
      expect(es.requests[1]!.params).toEqual({ scroll: '2m' });
      const body = es.requests[1]!.body as { query: { bool: { filter: unknown[]; should: unknown[] } } };
      expect(body.query.bool.filter).toEqual([
        { range: { '@timestamp': { gte: WINDOW.since.toISOString(), lte: WINDOW.until.toISOString() } } },
      ]);
      expect(body.query.bool.should).toHaveLength(PHRASES.length);
      expect(es.openScrolls()).toEqual([]);
      expect(report.esQueries[0]).toMatchObject({ pages: reads + 1, hits: EXPECTED.length });
      expect(report.notes.at(-1)).toMatch(/ with a scroll$/);
    },
  );
});

describe('a point in time whose id changes from page to page', () => {
  it('is searched and closed by the id each answer gave', async () => {
    const es = await serve(flavour('8.15'), { rotatePitIds: true });
    const { lines } = await search(es);
    expect(lines).toEqual(EXPECTED);
    expect(es.requests.every((r) => r.status === 200)).toBe(true);
    expect(es.openPits()).toEqual([]);
  });
});

describe('a server that does not say what it is (GET / refused to a role that only reads the logs)', () => {
  it.each(['5.6', '6.8', '7.9', '7.10', 'opensearch-2.17', '9.1'])(
    '%s: tries a point in time, and scrolls where it finds none',
    async (name) => {
      const f = flavour(name);
      const es = await serve(f, { rootForbidden: true });
      const { lines } = await search(es);
      expect(lines).toEqual(EXPECTED);
      expect(es.requests[0]!.status).toBe(403);
      expect(calls(es).includes('DELETE /_search/scroll')).toBe(!f.shardDoc);
      expect(es.openPits()).toEqual([]);
      expect(es.openScrolls()).toEqual([]);
    },
  );
});

describe("each release's errors, in our words", () => {
  it.each(['5.6', '6.8', '7.13', '9.1', 'opensearch-1.3'])('%s: a missing index is named', async (name) => {
    const es = await serve(flavour(name));
    const err = await search(es, { index: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toBe(
      `Elasticsearch search of nope at ${es.url} failed: HTTP 404: index_not_found_exception: no such index [nope]`,
    );
  });

  it('a wrong API key is a 401 that names no key', async () => {
    const key = Buffer.from('right:key-for-the-versions-test').toString('base64');
    const wrong = Buffer.from('wrong:key-for-the-versions-test').toString('base64');
    const es = await serve(flavour('6.8'), { apiKey: key });
    const err = await search(es, { apiKey: wrong }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `Elasticsearch search of logs-* at ${es.url} failed: HTTP 401: security_exception: unable to authenticate with provided credentials for REST request [/]`,
    );
    expect((err as StepFailed).hint).toMatch(/credentials/);
    expect(JSON.stringify(err)).not.toContain(wrong);
  });

  it('a shard failure says what the shard said', async () => {
    const es = await serve(flavour('7.10'), { documents: () => [] });
    // 7.10 has points in time but no _shard_doc: asked for one anyway, it names the sort it lacks.
    const { EsHttpClient } = await import('../../src/systems/elasticsearch/elasticsearch-http.js');
    const client = new EsHttpClient({ url: es.url });
    const pit = ((await client.request('POST', '/logs-*/_pit?keep_alive=1m')).body as { id: string }).id;
    const err = await client.request('POST', '/_search', { pit: { id: pit }, sort: [{ _shard_doc: 'asc' }] }).catch((e: unknown) => e);
    await client.close();
    expect((err as Error).message).toBe(
      'HTTP 400: search_phase_execution_exception: all shards failed; query_shard_exception: No mapping found for [_shard_doc] in order to sort on',
    );
  });

  it('Elasticsearch before 5.0 is refused, naming its version and what to do instead', async () => {
    const old: EsFlavour = {
      ...flavour('5.6'),
      name: '2.4',
      root: {
        name: 'n',
        cluster_name: 'logsearch',
        version: { number: '2.4.6', lucene_version: '5.5.4' },
        tagline: 'You Know, for Search',
      },
    };
    const es = await serve(old);
    const err = await search(es).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `Elasticsearch search of logs-* at ${es.url} failed: Elasticsearch 2.4.6 is older than 5.0, the oldest this search supports`,
    );
    expect((err as StepFailed).hint).toMatch(/--logs/);
    expect(calls(es)).toEqual(['GET /']);
  });
});
