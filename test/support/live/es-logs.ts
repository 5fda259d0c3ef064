/**
 * The live platform's syslog as Logsearch would index it in Elasticsearch, for the cases that
 * search logs there (case option logsIn: 'elasticsearch').
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseSyslog } from '../../../src/adapters/syslog.js';
import type { EsDocument } from '../es-http.js';

/** The seed incident whose logs every case starts from. */
export const SEED = resolve(import.meta.dirname, '../../../fixtures/seed-003');

/** The index the case's Elasticsearch holds the platform's syslog in. */
export const ES_INDEX = 'logs-platform-2016.03.17';
/** The seed incident's syslog is from March 2016: the year its RFC 3164 lines do not carry. */
export const SEED_LOGS_TIME = new Date('2016-03-18T00:00:00Z');

/** Oldest first: rotated files (`x.N`, `x.N.gz`, higher N older), then the others by name. */
function logFilesInOrder(dir: string): string[] {
  const rotation = (f: string): number => Number(/\.(\d+)(?:\.gz)?$/.exec(f)?.[1] ?? 0);
  return readdirSync(dir).sort((a, b) => rotation(b) - rotation(a) || a.localeCompare(b));
}

/**
 * The log folder as Logsearch indexes it, read now: one document per syslog line, timed by the
 * line (the seed files' year is 2016; other files' year is that of their modification time,
 * as the broker hook writes them live). Documents alternate between the two shapes the search
 * reads back: the whole line in `@raw`, or the payload in `@message` with `syslog_hostname`,
 * `syslog_program` and `@timestamp` apart, as logsearch-for-cloudfoundry indexes `logs-platform-*`.
 */
export function logDocuments(dir: string): EsDocument[] {
  const seed = new Set(readdirSync(join(SEED, 'syslog')));
  const docs: EsDocument[] = [];
  for (const f of logFilesInOrder(dir)) {
    const file = join(dir, f);
    const raw = readFileSync(file);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const reference = seed.has(f) ? SEED_LOGS_TIME : statSync(file).mtime;
    text.split('\n').forEach((line, n) => {
      if (line === '') return;
      const s = parseSyslog(line, reference);
      const timestamp = (s?.time ?? reference).toISOString();
      const _id = `${f}#${n + 1}`;
      if (!s || docs.length % 2 === 0) docs.push({ _id, _source: { '@timestamp': timestamp, '@raw': line } });
      else docs.push({ _id, _source: { '@timestamp': timestamp, '@message': s.payload, syslog_hostname: s.host, syslog_program: s.tag } });
    });
  }
  return docs;
}
