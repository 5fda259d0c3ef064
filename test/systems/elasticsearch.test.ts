import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED, secrets } from '../../src/core/redact.js';
import { StepFailed } from '../../src/core/errors.js';
import { createEsClient, PAGE_SIZE, toLine, EsHttpClient } from '../../src/systems/elasticsearch/index.js';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { generateLogs, type GeneratedLogs } from '../support/generate-logs.js';
import { parseSyslog } from '../../src/adapters/syslog.js';
import { startEsHttp } from '../support/es-http.js';
import { openLogSource } from '../../src/systems/log-source.js';

interface Doc {
  '@timestamp': string;
  message: string;
  syslog_hostname: string;
  syslog_program: string;
}

let dir: string;
let truth: GeneratedLogs;
const docs: Doc[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logs-es-'));
  truth = await generateLogs({ dir, seed: 6 });
  // Logsearch keeps the payload and the syslog fields apart; index every line of the generated files.
  for (const f of truth.files) {
    const raw = await readFile(f);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n')) {
      const s = parseSyslog(line, new Date('2017-01-05T00:00:00Z'));
      if (s) docs.push({ '@timestamp': s.time!.toISOString(), message: s.payload, syslog_hostname: s.host, syslog_program: s.tag });
    }
  }
  docs.sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface SearchBody {
  size: number;
  query: { bool: { filter: { range: { '@timestamp': { gte?: string; lte?: string } } }[]; should: { multi_match: { query: string } }[] } };
  search_after?: unknown[];
}

describe('Elasticsearch source', () => {
  it('pushes the window and the phrases down, pages with a point in time, and names the right instance', async () => {
    const es = await startEsHttp({ index: 'logs-2017.01', documents: () => docs.map((d) => ({ _source: { ...d } })) });
    const since = new Date(Date.parse(truth.instances[0]!.createdAt) - 60_000);
    const r = await findDeletedInstance({ sources: openLogSource({ es: { url: es.url } }), serviceName: 'important-db', since }).finally(
      () => es.stop(),
    );
    const requests = es.requests;
    const want = truth.expectedFor('important-db')!;
    expect(r.candidates[0]!.instanceGuid).toBe(want.guid);
    expect(r.candidates[0]!.archivePrefix).toBe(want.archivePrefix);
    expect(r.candidates[0]!.evidence[0]!.source).toMatch(/^es:logs-2017\.01\/\d+$/);

    expect(requests.map((q) => q.path).slice(0, 2)).toEqual(['/', '/logs-*/_pit']);
    const searches = requests.filter((q) => q.path === '/_search').map((q) => q.body as SearchBody);
    const hits = r.searched.esQueries[0]!.hits;
    expect(hits).toBeGreaterThan(PAGE_SIZE);
    expect(hits).toBeLessThan(docs.length / 2); // never the whole index
    expect(searches.length).toBe(Math.floor(hits / PAGE_SIZE) + 1);
    expect(searches[0]!.search_after).toBeUndefined();
    expect(searches.slice(1).every((b) => Array.isArray(b.search_after))).toBe(true);
    expect(searches.every((b) => b.size === PAGE_SIZE && b.query.bool.filter[0]!.range['@timestamp'].gte === since.toISOString())).toBe(
      true,
    );
    expect(searches[0]!.query.bool.should.map((s) => s.multi_match.query)).toContain('remove-random-node.perform');
    expect(es.openPits()).toEqual([]); // the point in time was closed
    expect(r.searched.esQueries[0]!.pages).toBe(searches.length);
  });

  it("times a raw RFC 3164 line by its own document's @timestamp, whatever other documents say", async () => {
    // Filebeat-style documents keep the whole syslog line. The index mixes the 2016 incident (a
    // dated lager line) with a container logged today, whose lines carry no year of their own.
    const lines = (await readFile(join(import.meta.dirname, '../../fixtures/logs/runbook-2016.log'), 'utf8')).split('\n');
    const today = lines.filter((l) => l.includes('cf-52167ceb'));
    const dated = lines.find((l) => l.includes('remove-node.perform'))!;
    expect(today).toHaveLength(4);
    const sources = [
      { '@timestamp': '2016-03-17T06:10:17.896Z', '@raw': dated },
      ...today.map((l) => ({ '@timestamp': '2026-11-23T03:54:12.000Z', '@raw': l })),
    ];
    const es = await startEsHttp({ index: 'logs-mixed', documents: () => sources.map((src) => ({ _source: src })) });
    const f = await findInstance({
      sources: openLogSource({ es: { url: es.url } }),
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
    const err = await findDeletedInstance({ sources: openLogSource({ es: { url, index: 'nope' } }), serviceName: 'x' })
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
    expect(createEsClient({ url: 'https://es.example:9200', apiKey })).toBeInstanceOf(EsHttpClient);
    expect(secrets.redact(`key ${apiKey}`)).toBe(`key ${REDACTED}`);
    expect(() => createEsClient({ url: 'not a url' })).toThrow(/is not a URL/);
    expect(() => createEsClient({ url: 'https://es.example:9200', caFile: '/nonexistent/ca.pem' })).toThrow(
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
