/** The live log source: syslog files and folders (plain or gzip, `-` for standard input) and Elasticsearch. */
import { termText, type LogScan, type LogSource, type LogSourceSpec } from '../core/log-source.js';
import { numberSkippedLines, scanFiles } from './syslog/index.js';

export function openLogSource(spec: LogSourceSpec): LogSource {
  const paths = spec.paths ?? [];
  const es = spec.es;
  return {
    empty: paths.length === 0 && !es,
    async scan(q: LogScan, report, onHit) {
      if (paths.length) report.terms.push(...q.terms.map(termText));
      if (es) report.terms.push(...q.phrases);
      if (paths.length) await scanFiles(paths, q.terms, report, onHit, { since: q.since });
      if (es) {
        // The Elasticsearch client loads only when there is Elasticsearch to search.
        const { searchEs } = await import('./elasticsearch/elasticsearch.js');
        await searchEs(es, q.phrases, q.terms, report, onHit, { since: q.since, until: q.until, describing: q.describing });
      }
    },
    numberSkipped: numberSkippedLines,
  };
}
