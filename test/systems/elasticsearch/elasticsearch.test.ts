import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../../src/core/redact.js';
import { StepFailed } from '../../../src/core/errors.js';
import { createEsClient, PAGE_SIZE, searchEs, toLine, EsHttpClient } from '../../../src/systems/elasticsearch/index.js';
import { emptyReport } from '../../../src/core/log-source.js';
import { DESCRIBING_PHRASES, PHRASES, SCAN_TERMS } from '../../../src/logs/search-terms.js';
import { findDeletedInstance, findInstance } from '../../../src/logs/find.js';
import { generateLogs, type GeneratedLogs } from '../../support/generate-logs.js';
import { parseSyslog } from '../../../src/adapters/syslog.js';
import { startEsHttp } from '../../support/es-http.js';
import { boshreleaseDocument } from '../../support/logsearch-documents.js';
import { flavour } from '../../support/es-http-versions.js';
import { loopbackCertificate } from '../../support/loopback.js';
import { openLogSource } from '../../../src/systems/log-source.js';

/** A syslog line and its parts, indexed as logsearch-boshrelease or as logsearch-for-cloudfoundry v201+ does. */
interface Line {
  raw: string;
  time: string;
  payload: string;
  host: string;
  program: string;
}

/** The time the generated lines are read at (their RFC 3164 prefixes carry no year). */
const LOGGED = new Date('2017-01-05T00:00:00Z');
let dir: string;
let truth: GeneratedLogs;
const lines: Line[] = [];
let caDir: string;
let tls: { key: Buffer; cert: Buffer };
let caFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logs-es-'));
  truth = await generateLogs({ dir, seed: 6 });
  // Logsearch keeps the payload and the syslog fields apart; index every line of the generated files.
  for (const f of truth.files) {
    const raw = await readFile(f);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n')) {
      const s = parseSyslog(line, LOGGED);
      if (s) lines.push({ raw: line, time: s.time!.toISOString(), payload: s.payload, host: s.host, program: s.tag });
    }
  }
  lines.sort((a, b) => a.time.localeCompare(b.time));
  caDir = await mkdtemp(join(tmpdir(), 'logs-es-tls-'));
  const { key, cert } = loopbackCertificate(caDir);
  tls = { key: await readFile(key), cert: await readFile(cert) };
  caFile = cert;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(caDir, { recursive: true, force: true });
});

const boshrelease = (l: Line): Record<string, unknown> => boshreleaseDocument(l.raw, LOGGED);
const forCloudfoundry201 = (l: Line): Record<string, unknown> => ({
  '@timestamp': l.time,
  '@message': l.payload,
  '@source': { host: l.host, component: l.program, deployment: 'cf-dingo', job: 'router' },
  '@type': 'syslog',
});

interface WindowedQuery {
  bool: { filter: { range: { '@timestamp': { gte?: string; lte?: string } } }[]; should: { multi_match: { query: string } }[] };
}
interface SearchBody {
  size: number;
  /** Within the window, the phrases; whenever they were logged, the lines that describe instances. */
  query: { bool: { should: [WindowedQuery, { bool: { should: { multi_match: { query: string } }[] } }] } };
}

describe('Elasticsearch source', () => {
  it('pushes the window and the word-aligned phrases down, scrolls, and names the right instance', async () => {
    const docs = lines.map((l) => ({ _source: boshrelease(l) }));
    const es = await startEsHttp({ index: 'logstash-2017.01.05', documents: () => docs });
    const since = new Date(Date.parse(truth.instances[0]!.createdAt) - 60_000);
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url: es.url, redactor: new Redactor() } }),
      serviceName: 'important-db',
      since,
    }).finally(() => es.stop());
    const requests = es.requests;
    const want = truth.expectedFor('important-db')!;
    expect(r.candidates[0]!.instanceGuid).toBe(want.guid);
    expect(r.candidates[0]!.archivePrefix).toBe(want.archivePrefix);
    expect(r.candidates[0]!.evidence[0]!.source).toMatch(/^es:logstash-2017\.01\.05\/\d+$/);

    expect(requests.map((q) => q.path).slice(0, 2)).toEqual(['/', '/logstash-*,logs-platform-*,logs-unparsed-*/_search']);
    const search = requests[1]!.body as SearchBody;
    const fetched = requests.reduce((n, q) => n + (q.hits ?? 0), 0);
    expect(fetched).toBeGreaterThan(PAGE_SIZE);
    expect(fetched).toBeLessThan(docs.length / 2); // never the whole index
    expect(r.searched.esQueries[0]!.hits).toBeLessThanOrEqual(fetched);
    expect(search.size).toBe(PAGE_SIZE);
    const [windowed, describing] = search.query.bool.should;
    expect(windowed.bool.filter[0]!.range['@timestamp'].gte).toBe(since.toISOString());
    expect(windowed.bool.should.map((s) => s.multi_match.query)).toContain('dingo-postgresql-broker');
    expect(describing.bool.should.map((s) => s.multi_match.query)).toEqual(DESCRIBING_PHRASES);
    expect(es.openScrolls()).toEqual([]);
    expect(es.openPits()).toEqual([]);
    expect(r.searched.esQueries[0]!.pages).toBe(
      requests.filter((q) => q.path.endsWith('_search') || q.path === '/_search/scroll').length - 1,
    );
  });

  it('takes an index that holds no document yet (so maps no @timestamp) as one holding nothing, where its shards would fail the sort', async () => {
    const es = await startEsHttp({ index: 'logstash-2017.01.06', documents: () => [] });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url: es.url, redactor: new Redactor() } }),
      serviceName: 'important-db',
    }).finally(() => es.stop());
    expect(r.candidates).toEqual([]);
    expect(r.searched.esQueries).toEqual([expect.objectContaining({ index: 'logstash-*,logs-platform-*,logs-unparsed-*', hits: 0 })]);
    expect(es.openScrolls()).toEqual([]);
  });

  it('reads the name and space beyond --since, as the files are read: a window opened after the provisioning still names the instance', async () => {
    const want = truth.expectedFor('important-db')!;
    const deletedAt = truth.instances.find((i) => i.guid === want.guid)!.deletedAt!;
    const since = new Date(Date.parse(deletedAt) - 60_000);
    const docs = lines.map((l) => ({ _source: boshrelease(l) }));
    const find = async (describing: boolean) => {
      const es = await startEsHttp({ index: 'logstash-2017.01.05', documents: () => docs });
      const sources = openLogSource({ es: { url: es.url, redactor: new Redactor() } });
      // Without the phrases that describe instances, the search as it was: the window bounded every line.
      const scan: typeof sources.scan = (q, report, onHit) => sources.scan(describing ? q : { ...q, describing: [] }, report, onHit);
      return findDeletedInstance({ redactor: new Redactor(), sources: { ...sources, scan }, serviceName: 'important-db', since }).finally(
        () => es.stop(),
      );
    };
    const windowed = await find(false);
    expect(windowed.candidates.find((c) => c.instanceGuid === want.guid)).toMatchObject({ serviceName: null });
    const r = await find(true);
    expect(r.candidates[0]).toMatchObject({ instanceGuid: want.guid, serviceName: 'important-db' });
    expect(r.candidates[0]!.confidence).not.toBe('low');
  });

  it.each([
    ['2.3', 'logsearch-boshrelease', {}],
    ['5.6', 'logsearch-boshrelease', { basic: true }],
    ['6.8', 'logsearch-for-cloudfoundry v203', { https: true }],
    ['7.10', 'logsearch-boshrelease', { https: true, basic: true }],
    ['7.17', 'logsearch-for-cloudfoundry v203', { apiKey: true }],
    ['8.15', 'logsearch-for-cloudfoundry v203', { https: true, apiKey: true }],
    ['8.15', 'logsearch-boshrelease', { https: true, basic: true }],
    ['opensearch-1.3', 'logsearch-for-cloudfoundry v203', { basic: true }],
    ['opensearch-2.17', 'logsearch-boshrelease', { https: true }],
  ] as const)(
    '%s, %s, %o: logs find ranks the deleted instance first',
    async (name, generation, o: { https?: boolean; basic?: boolean; apiKey?: boolean }) => {
      const lfc = generation !== 'logsearch-boshrelease';
      const docs = lines.map((l) => ({ _source: lfc ? forCloudfoundry201(l) : boshrelease(l) }));
      const apiKey = Buffer.from('id:es-api-key-of-the-release-test').toString('base64');
      const basic = { username: 'logs-reader', password: 'es-password-of-the-release-test' };
      const es = await startEsHttp({
        index: lfc ? 'logs-platform-2017.01.05' : 'logstash-2017.01.05',
        generation: lfc ? 'logsearch-for-cloudfoundry-203' : 'logsearch',
        documents: () => docs,
        flavour: flavour(name),
        ...(o.https ? { tls } : {}),
        ...(o.basic ? { basic } : {}),
        ...(o.apiKey ? { apiKey } : {}),
      });
      const spec = {
        url: es.url,
        ...(o.https ? { caFile } : {}),
        ...(o.basic ? basic : {}),
        ...(o.apiKey ? { apiKey } : {}),
      };
      const r = await findDeletedInstance({
        redactor: new Redactor(),
        sources: openLogSource({ es: { ...spec, redactor: new Redactor() } }),
        serviceName: 'important-db',
      }).finally(() => es.stop());
      expect(r.candidates[0]!.instanceGuid).toBe(truth.expectedFor('important-db')!.guid);
      expect(es.requests.every((q) => q.authenticated)).toBe(true);
      expect(es.openScrolls()).toEqual([]);
      expect(es.openPits()).toEqual([]);
    },
  );

  it("reads logsearch-boshrelease's lines through @raw: its @message is kept whole, so a line its filter could not parse is out of reach", async () => {
    const record = (guid: string) =>
      `{"timestamp":"1483610400.1","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.deprovision.start","log_level":1,"data":{"instance-id":"${guid}"}}`;
    const parsed = `Jan  5 10:00:00 0.router.dingo broker.stdout.log: ${record('6e101b27-ee1b-4f4d-a032-4401a3709ec3')}`;
    // A line that came without a syslog prefix: the filter's patterns do not take it.
    const unparsed = record('a1b2c3d4-0000-4000-8000-00000000000a');
    const docs = [parsed, unparsed].map((l) => ({ _source: boshreleaseDocument(l, LOGGED) }));
    expect(docs[0]!._source['@raw']).toBe(parsed);
    expect(docs[1]!._source).not.toHaveProperty('@raw');
    const es = await startEsHttp({ index: 'logstash-2017.01.05', documents: () => docs });
    const found: string[] = [];
    const report = emptyReport([...PHRASES]);
    await searchEs({ url: es.url, redactor: new Redactor() }, PHRASES, SCAN_TERMS, report, (hit) => found.push(hit.line)).finally(() =>
      es.stop(),
    );
    expect(found).toEqual([parsed]);
    expect(report.esQueries[0]!.hits).toBe(1);
  });

  it("times a raw RFC 3164 line by its own document's @timestamp, whatever other documents say", async () => {
    // Filebeat-style documents keep the whole syslog line. The index mixes the 2016 incident (a
    // dated lager line) with a container logged today, whose lines carry no year of their own.
    const lines = (await readFile(join(import.meta.dirname, '../../../fixtures/logs/runbook-2016.log'), 'utf8')).split('\n');
    const today = lines.filter((l) => l.includes('cf-52167ceb'));
    const dated = lines.find((l) => l.includes('remove-node.perform'))!;
    expect(today).toHaveLength(4);
    const sources = [
      { '@timestamp': '2016-03-17T06:10:17.896Z', '@raw': dated },
      ...today.map((l) => ({ '@timestamp': '2026-11-23T03:54:12.000Z', '@raw': l })),
    ];
    const es = await startEsHttp({ index: 'logs-platform-mixed', documents: () => sources.map((src) => ({ _source: src })) });
    const f = await findInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url: es.url, redactor: new Redactor() } }),
      instanceGuid: '78218ded-7d88-4d69-bd44-6f478c300134',
    }).finally(() => es.stop());
    expect(f.nodes).toEqual([{ nodeUuid: '52167ceb-bd3d-4bff-8699-a239d21c5379', cell: '10.58.111.150' }]);
    const cell = f.evidence.find((e) => e.why.includes('runs on cell'))!;
    expect(cell.why).toContain("(time from the document's @timestamp)");
    expect(f.evidence.map((e) => e.why).join('\n')).not.toMatch(/year 20\d\d/);
  });

  it('turns a failure into a StepFailed that hides the credentials', async () => {
    const password = 'es-basic-auth-pw-42';
    const es = await startEsHttp({ index: 'logs-1', documents: () => [], basic: { username: 'ops', password } });
    const url = es.url.replace('//', `//ops:${password}@`);
    const err = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url, index: 'nope', redactor: new Redactor() } }),
      serviceName: 'x',
    })
      .catch((e: unknown) => e)
      .finally(() => es.stop());
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toBe(
      `Elasticsearch search of nope at http://ops:${REDACTED}@127.0.0.1:${es.port} failed: HTTP 404: index_not_found_exception: no such index [nope]`,
    );
    // The user and password in the URL were sent as basic auth.
    expect(es.requests.every((q) => q.authenticated)).toBe(true);
    expect((err as StepFailed).hint).toMatch(/--es-index/);
  });

  it('builds a client with an API key or basic auth, registering the secrets', () => {
    const apiKey = 'ZXMtYXBpLWtleS1mb3ItdGVzdHM=';
    const redactor = new Redactor();
    expect(createEsClient({ url: 'https://es.example:9200', apiKey, redactor })).toBeInstanceOf(EsHttpClient);
    expect(redactor.redact(`key ${apiKey}`)).toBe(`key ${REDACTED}`);
    expect(() => createEsClient({ redactor: new Redactor(), url: 'not a url' })).toThrow(/is not a URL/);
    expect(() => createEsClient({ redactor: new Redactor(), url: 'https://es.example:9200', caFile: '/nonexistent/ca.pem' })).toThrow(
      /cannot read CA file \/nonexistent\/ca.pem: ENOENT/,
    );
  });

  it('rebuilds a syslog line from a document, or keeps a raw one', () => {
    const line = toLine({
      '@timestamp': '2017-01-02T15:36:16.742Z',
      message: 'public address 10.0.0.1:5',
      syslog_hostname: 'cell',
      syslog_program: 'docker/cf-x',
    })!;
    expect(parseSyslog(line, new Date())).toMatchObject({ host: 'cell', tag: 'docker/cf-x', payload: 'public address 10.0.0.1:5' });
    const raw = 'Mar 16 23:10:17 host broker.stdout.log:  {"a":1}';
    expect(toLine({ '@raw': raw, message: 'x' })).toBe(raw);
    expect(toLine({ other: 1 })).toBeNull();
  });
});
