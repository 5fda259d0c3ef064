/**
 * A syslog line, as received, the way logsearch-boshrelease's syslog filter indexes it
 * (logsearch-fields.ts says where each shipper keeps what): the line in `@raw`, its host, program and text apart, the
 * host copied to `@source.host`; a line the filter cannot parse keeps only `@message`, whole, and
 * the filter's failure tag.
 */
import { parseSyslog } from '../../src/adapters/syslog.js';

export function boshreleaseDocument(line: string, reference: Date): Record<string, unknown> {
  const s = parseSyslog(line, reference);
  const at = (s?.time ?? reference).toISOString();
  if (s === null) return { '@timestamp': at, '@message': line, '@type': 'syslog', tags: ['fail/syslog_standard/_grokparsefailure'] };
  return {
    '@timestamp': at,
    '@raw': line,
    '@message': s.payload,
    syslog_hostname: s.host,
    syslog_program: s.tag,
    '@source': { host: s.host },
    '@type': 'syslog',
    tags: ['syslog_standard'],
  };
}
