/**
 * The log search gets the same lines from every Elasticsearch and OpenSearch release Logsearch-era
 * platforms run (from the 2.3 of November 2016), each simulated with its own answers
 * (es-http-versions.ts) and analysing text as Elasticsearch does (es-http-mappings.ts): a scroll,
 * cleared at the end, whatever the release.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyReport, type SearchReport } from '../../../src/core/log-source.js';
import { StepFailed } from '../../../src/core/errors.js';
import { PHRASES, SCAN_TERMS } from '../../../src/logs/search-terms.js';
import { PAGE_SIZE, searchEs, toLine } from '../../../src/systems/elasticsearch/index.js';
import { startEsHttp, type EsDocument, type EsHttp, type EsHttpOptions } from '../../support/es-http.js';
import { boshreleaseDocument } from '../../support/logsearch-documents.js';
import { flavour, FLAVOURS, type EsFlavour } from '../../support/es-http-versions.js';
import { Redactor } from '../../../src/core/redact.js';

const BASE = Date.parse('2017-01-10T00:00:00Z');
/** The time the documents' RFC 3164 lines are read at (their prefixes carry no year). */
const LOGGED = new Date(BASE);
const COUNT = 3000;
const WINDOW = { since: new Date(BASE + 100_000), until: new Date(BASE + (COUNT / 3 - 100) * 1000) };
const SEARCHED = FLAVOURS.filter((f) => f.name !== '1.7');

/**
 * Documents in an order that is not time's, three to a second (so pages break inside a second):
 * the broker's deprovisions, its catalog chatter (fetched by its source, dropped on our side) and
 * other programs' noise, as logsearch-boshrelease indexes them (`@raw` alone, or with `@message` and the syslog fields).
 */
function documents(): EsDocument[] {
  const docs: EsDocument[] = [];
  for (let n = 0; n < COUNT; n++) {
    const i = (n * 7919) % COUNT;
    const at = new Date(BASE + Math.floor(i / 3) * 1000).toISOString();
    const action = i % 7 === 0 ? 'catalog' : 'deprovision.start';
    const payload =
      i % 3 !== 2
        ? `{"timestamp":"1484006400.1","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.${action}","log_level":1,"data":{"n":${i}}}`
        : `noise ${i} from a broker`;
    docs.push(
      i % 5 === 0
        ? { _id: `d${i}`, _source: { '@timestamp': at, '@raw': `Jan 10 00:00:00 router broker.stdout.log:  ${payload}` } }
        : {
            _id: `d${i}`,
            _source: { ...boshreleaseDocument(`Jan 10 00:00:00 router broker.stdout.log:  ${payload}`, LOGGED), '@timestamp': at },
          },
    );
  }
  return docs;
}

const DOCS = documents();
/** What any server must hand over: the deprovisions of the window, by time, then by their place in the index. */
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
  const es = await startEsHttp({ index: 'logstash-2017.01.10', documents: () => DOCS, flavour: f, ...o });
  servers.push(es);
  return es;
}

async function search(
  es: EsHttp,
  spec: { apiKey?: string; index?: string } = {},
  phrases: readonly string[] = PHRASES,
): Promise<{ lines: string[]; report: SearchReport }> {
  const lines: string[] = [];
  const report = emptyReport([...phrases]);
  await searchEs({ redactor: new Redactor(), url: es.url, ...spec }, phrases, SCAN_TERMS, report, (hit) => lines.push(hit.line), WINDOW);
  return { lines, report };
}

const calls = (es: EsHttp): string[] => es.requests.map((r) => `${r.method} ${r.path}`);
const versionOf = (f: EsFlavour): string => (f.root.version as { number: string }).number;

describe('the log search on each release', () => {
  it('has more lines to find than one page holds', () => {
    expect(EXPECTED.length).toBeGreaterThan(PAGE_SIZE);
  });

  it.each(SEARCHED.map((f) => [f.name, f] as const))(
    '%s: scrolls with the time window and the broker source pushed down, keeps the deprovisions, and clears the scroll',
    async (_name, f) => {
      const es = await serve(f);
      const { lines, report } = await search(es);
      expect(lines).toEqual(EXPECTED);
      // The default pattern names both generations' indices; the broker's chatter came back and was dropped here.
      const fetched = es.requests.reduce((n, r) => n + (r.hits ?? 0), 0);
      expect(fetched).toBeGreaterThan(EXPECTED.length);
      const reads = Math.ceil(fetched / PAGE_SIZE) - 1;
      expect(calls(es)).toEqual([
        'GET /',
        'POST /logstash-*,logs-platform-*,logs-unparsed-*/_search',
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
      expect(es.openPits()).toEqual([]);
      expect(report.esQueries[0]).toMatchObject({ pages: reads + 1, hits: EXPECTED.length });
      expect(report.notes.at(-1)).toBe(
        `searched ${f.name.startsWith('opensearch') ? 'OpenSearch' : 'Elasticsearch'} ${versionOf(f)} at ${es.url} with a scroll`,
      );
    },
  );

  it.each(['2.3', '6.8', '8.15'])(
    '%s: the phrase of an action inside a broker message matches nothing, as on a real cluster',
    async (name) => {
      const es = await serve(flavour(name));
      const { lines } = await search(es, {}, ['deprovision.start']);
      expect(lines).toEqual([]);
      const { lines: bySource } = await search(es, {}, ['dingo-postgresql-broker']);
      expect(bySource).toEqual(EXPECTED);
    },
  );
});

describe('a server that does not say what it is (GET / refused to a role that only reads the logs)', () => {
  it.each(['2.3', '5.6', '6.8', '7.9', '7.10', 'opensearch-2.17', '9.1'])(
    '%s: is scrolled, never probed for a point in time',
    async (name) => {
      const es = await serve(flavour(name), { rootForbidden: true });
      const { lines, report } = await search(es);
      expect(lines).toEqual(EXPECTED);
      expect(es.requests[0]!.status).toBe(403);
      expect(calls(es).some((c) => c.includes('_pit'))).toBe(false);
      expect(es.requests.slice(1).every((r) => r.status === 200)).toBe(true);
      expect(es.openScrolls()).toEqual([]);
      expect(report.notes.at(-1)).toBe(`searched a server that does not say its version at ${es.url} with a scroll`);
    },
  );
});

describe("each release's errors, in our words", () => {
  it.each(['2.3', '5.6', '6.8', '7.13', '9.1', 'opensearch-1.3'])(
    '%s: a missing index is named, with the patterns Logsearch writes',
    async (name) => {
      const es = await serve(flavour(name));
      const err = await search(es, { index: 'nope' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StepFailed);
      expect((err as Error).message).toBe(
        `Elasticsearch search of nope at ${es.url} failed: HTTP 404: index_not_found_exception: no such index [nope]`,
      );
      expect((err as StepFailed).hint).toMatch(/logstash-YYYY\.MM\.dd .*logs-platform-YYYY\.MM\.dd/);
    },
  );

  it.each(['2.3', '7.17', 'opensearch-2.17'])(
    '%s: a pattern that matched no index says so, and names the patterns Logsearch writes',
    async (name) => {
      const es = await serve(flavour(name));
      const err = await search(es, { index: 'logs-app-*' }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(
        `Elasticsearch search of logs-app-* at ${es.url} failed: the index pattern logs-app-* matched no index`,
      );
      expect((err as StepFailed).hint).toMatch(/logstash-YYYY\.MM\.dd .*logs-platform-YYYY\.MM\.dd.*--es-index/);
      expect(es.openScrolls()).toEqual([]);
    },
  );

  it('a wrong API key is a 401 that names no key', async () => {
    const key = Buffer.from('right:key-for-the-versions-test').toString('base64');
    const wrong = Buffer.from('wrong:key-for-the-versions-test').toString('base64');
    const es = await serve(flavour('6.8'), { apiKey: key });
    const err = await search(es, { apiKey: wrong }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `Elasticsearch search of logstash-*,logs-platform-*,logs-unparsed-* at ${es.url} failed: HTTP 401: security_exception: unable to authenticate with provided credentials for REST request [/]`,
    );
    expect((err as StepFailed).hint).toMatch(/credentials/);
    expect(JSON.stringify(err)).not.toContain(wrong);
  });

  it('Elasticsearch 1.x is refused, naming its version and what to do instead', async () => {
    const es = await serve(flavour('1.7'));
    const err = await search(es).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `Elasticsearch search of logstash-*,logs-platform-*,logs-unparsed-* at ${es.url} failed: Elasticsearch 1.7.5 is older than 2.0, the oldest this search supports (1.x has no bool filter clause, _doc sort or JSON scroll bodies)`,
    );
    expect((err as StepFailed).hint).toMatch(/--logs/);
    expect(calls(es)).toEqual(['GET /']);
  });
});

describe('an answer that is not the whole of the search', () => {
  it.each(['2.3', '6.8', '7.17', 'opensearch-2.17'])(
    '%s: shards rejected by a busy cluster stop the search, naming them and why',
    async (name) => {
      const es = await serve(flavour(name), { failedShards: 1 });
      const lines: string[] = [];
      const err = await searchEs(
        { redactor: new Redactor(), url: es.url },
        PHRASES,
        SCAN_TERMS,
        emptyReport([]),
        (h) => lines.push(h.line),
        WINDOW,
      ).catch((e: unknown) => e);
      expect(lines).toEqual([]);
      expect((err as Error).message).toBe(
        `Elasticsearch search of logstash-*,logs-platform-*,logs-unparsed-* at ${es.url} failed: 1 of 5 shards failed, so their documents are missing from the answer: logstash-2017.01.10 shard 0: es_rejected_execution_exception: rejected execution of org.elasticsearch.common.util.concurrent.TimedRunnable on QueueResizingEsThreadPoolExecutor[name = logsearch-es-data-2/search, queue capacity = 1000]`,
      );
      expect((err as StepFailed).hint).toMatch(/nothing was ranked on a partial answer/);
      // A window does not spare a daily index its shards: fewer indices does.
      expect((err as StepFailed).hint).toContain('name the days with --es-index (logstash-2016.11.*)');
      expect(es.openScrolls()).toEqual([]);
    },
  );

  it('a search that timed out on the server stops, saying so', async () => {
    const es = await serve(flavour('7.10'), { timedOut: true });
    const err = await search(es).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /failed: the search timed out on the server: the hits it answered are only part of those in logstash-\*,logs-platform-\*,logs-unparsed-\*$/,
    );
    expect((err as StepFailed).hint).toMatch(/--since\/--until/);
    expect(es.openScrolls()).toEqual([]);
  });
});
