/**
 * The finder reads lines only through the LogSource seam: a source that is not a file at all (lines
 * held in memory, named as a test names them) gives the same answer as the syslog file they came from.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDeletedInstance } from '../../src/logs/find.js';
import { termText, type LogScan, type LogSource } from '../../src/core/log-source.js';
import { Redactor } from '../../src/core/redact.js';

const LINES = readFileSync(resolve(import.meta.dirname, '../../fixtures/logs/runbook-2016.log'), 'utf8').split('\n');
const FILE_TIME = new Date('2016-03-18T02:00:00Z');

/** Every line holding a term, from memory; what it was asked for is kept. */
function memorySource(asked: LogScan[]): LogSource {
  return {
    empty: false,
    scan(q, report, onHit) {
      asked.push(q);
      report.terms.push(...q.terms.map(termText));
      let offset = 0;
      for (const line of LINES) {
        if (q.terms.some((t) => line.includes(termText(t)))) onHit({ line, source: 'memory:runbook', offset, fileTime: FILE_TIME });
        offset += Buffer.byteLength(line) + 1;
      }
      return Promise.resolve();
    },
    numberSkipped: () => Promise.resolve(),
  };
}

describe('the LogSource seam', () => {
  it('gives the finder its lines, in the window it asks for, and the evidence names the source', async () => {
    const asked: LogScan[] = [];
    const since = new Date('2016-03-01T00:00:00Z');
    const r = await findDeletedInstance({ redactor: new Redactor(), sources: memorySource(asked), serviceName: 'important-db', since });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.since).toEqual(since);
    expect(asked[0]!.phrases).toContain('dingo-postgresql-broker');
    expect(r.candidates.map((c) => [c.instanceGuid, c.deletedAt])).toEqual([
      ['6e101b27-ee1b-4f4d-a032-4401a3709ec3', '2016-03-17T06:10:17.897Z'],
    ]);
    expect(r.candidates[0]!.evidence.some((e) => e.source.startsWith('memory:runbook'))).toBe(true);
  });
});
