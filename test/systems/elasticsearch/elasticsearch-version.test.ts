import { describe, expect, it } from 'vitest';
import { describeServer, totalHits, UnsupportedServer } from '../../../src/systems/elasticsearch/index.js';
import { FLAVOURS } from '../../support/es-http-versions.js';

describe('the server at --es-url, from its GET / answer', () => {
  it.each(FLAVOURS.filter((f) => f.name !== '1.7').map((f) => [f.name, f] as const))('%s is taken, named as it says', (_name, f) => {
    const s = describeServer(f.root);
    expect(s.version).toBe((f.root.version as { number: string }).number);
    expect(s.distribution).toBe(f.name.startsWith('opensearch') ? 'opensearch' : 'elasticsearch');
  });

  it('refuses Elasticsearch 1.x, and an answer without a version, naming what it got', () => {
    const es1 = FLAVOURS.find((f) => f.name === '1.7')!.root;
    expect(() => describeServer(es1)).toThrow(UnsupportedServer);
    expect(() => describeServer(es1)).toThrow(/^Elasticsearch 1\.7\.5 is older than 2\.0, the oldest this search supports/);
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
