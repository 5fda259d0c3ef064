import { describe, expect, it } from 'vitest';
import { describeServer, totalHits, UnsupportedServer } from '../../src/systems/elasticsearch/index.js';
import { FLAVOURS } from '../support/es-http-versions.js';

describe('the server at --es-url, from its GET / answer', () => {
  it.each(FLAVOURS.map((f) => [f.name, f] as const))('%s pages the way it can', (_name, f) => {
    const s = describeServer(f.root);
    expect(s.paging).toBe(f.shardDoc ? 'pit' : 'scroll');
    expect(s.distribution).toBe(f.name.startsWith('opensearch') ? 'opensearch' : 'elasticsearch');
  });

  it('refuses Elasticsearch before 5.0, and an answer without a version, naming what it got', () => {
    const es2 = { name: 'n', version: { number: '2.4.6', lucene_version: '5.5.4' }, tagline: 'You Know, for Search' };
    expect(() => describeServer(es2)).toThrow(
      new UnsupportedServer('Elasticsearch 2.4.6 is older than 5.0, the oldest this search supports'),
    );
    expect(() => describeServer({ ok: true })).toThrow(
      /it is not Elasticsearch: its GET \/ answer names no version.number \(\{"ok":true\}\)/,
    );
  });

  it('reads hits.total as a number or as { value, relation }', () => {
    expect(totalHits({ total: 12, hits: [] })).toBe(12);
    expect(totalHits({ total: { value: 7, relation: 'eq' }, hits: [] })).toBe(7);
    expect(totalHits({ total: { value: 10000, relation: 'gte' }, hits: [] })).toBeNull();
    expect(totalHits({ hits: [] })).toBeNull();
  });
});
