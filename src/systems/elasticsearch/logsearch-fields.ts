/**
 * Where each shipper of the platform's syslog into Elasticsearch keeps a line: its text, the program
 * that wrote it and the host it came from. One row a generation; the search reads the first field
 * of each kind that a document has, in the order of this table.
 *
 * - logsearch-boshrelease (`logstash-YYYY.MM.dd`, Elasticsearch 1.x/2.x then 5.x): logstash's syslog
 *   filter keeps the line in `@raw`, its text in `@message`, and `syslog_program`, `syslog_hostname`;
 * - logsearch-for-cloudfoundry before v201 (`logs-platform-*`): the same fields, and `@source.host`,
 *   `@source.component`, `@source.deployment`, `@source.job`;
 * - logsearch-for-cloudfoundry v201 and later: no `syslog_program`/`syslog_hostname`: the program is
 *   `@source.component`, the host `@source.host`;
 * - Filebeat's and Logstash's plain syslog inputs: `message` (or `syslog_message`), `host.name` or
 *   `host`, `program` or `tag`.
 */
const LOGSEARCH_FIELDS = [
  { shipper: 'logsearch-boshrelease', message: ['@raw', '@message'], program: ['syslog_program'], host: ['syslog_hostname'] },
  {
    shipper: 'logsearch-for-cloudfoundry before v201',
    message: ['@raw', '@message'],
    program: ['syslog_program'],
    host: ['syslog_hostname', '@source.host'],
  },
  {
    shipper: 'logsearch-for-cloudfoundry v201 and later',
    message: ['@raw', '@message'],
    program: ['@source.component'],
    host: ['@source.host'],
  },
  {
    shipper: 'Filebeat, Logstash syslog input',
    message: ['message', 'syslog_message'],
    program: ['program', '@source.program', 'tag'],
    host: ['host.name', 'host'],
  },
] as const;

const distinct = (kind: 'message' | 'program' | 'host'): string[] => [...new Set(LOGSEARCH_FIELDS.flatMap((g) => g[kind]))];

/** The fields that may hold the line, in the order they are read. */
export const MESSAGE_FIELDS = distinct('message');
/** The fields that may name the program that wrote it. */
export const PROGRAM_FIELDS = distinct('program');
/** The fields that may name its host. */
export const HOST_FIELDS = distinct('host');
