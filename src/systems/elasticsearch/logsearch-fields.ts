/**
 * Where each shipper of the platform's syslog into Elasticsearch keeps a line: its text, the program
 * that wrote it and the host it came from. One row a generation; the search reads the first field
 * of each kind that a document has, in the order of this table.
 *
 * - logsearch-boshrelease (`logstash-YYYY.MM.dd`): its syslog filter copies the line as received to
 *   `@raw`, then splits it into `syslog_hostname`, `syslog_program` and `@message` (the text after
 *   the prefix), and copies the host to `@source.host` (replaced by the structured data's `host`
 *   when a line has one); a line the filter cannot parse keeps only `@message`, whole.
 * - logsearch-for-cloudfoundry before v201 (`logs-platform-*`): Logsearch's fields, none removed
 *   (its filters remove only `@version`), and in some versions `@source.component` from `syslog_program`;
 * - logsearch-for-cloudfoundry v201 and later: `syslog_program` and `syslog_hostname` removed; the
 *   program is `@source.component` (without a `vcap.` prefix), the host `@source.host` (the sender's
 *   address when the line named none); `@message` loses a `[job=... index=...]` prefix, `@raw` keeps it;
 * - Filebeat's and Logstash's plain syslog inputs: `message` (or `syslog_message`), `host.name` or
 *   `host`, `program` or `tag`.
 *
 * Read from (repository, path, commit):
 * - logsearch-boshrelease: logsearch/logsearch-boshrelease src/logsearch-filters-common/src/logstash-filters/snippets/syslog_standard.conf 23e236f79f9f4cec122f9755cbf7f52482368584, cloudfoundry-community/logsearch-boshrelease src/logsearch-config/src/logstash-filters/snippets/syslog_standard.conf 3ceed1254920013cc418f9017bb4fdc355a73a71
 * - logsearch-for-cloudfoundry before v201: cloudfoundry-community/logsearch-for-cloudfoundry src/logsearch-config/src/logstash-filters/default.conf.erb 3b1949b6b753f1619a3132ae09b82dd06f49ea4a, snippets/setup.conf 470f4ff54ef2af9064bb71e9411c8ae8ffcbe06d
 * - logsearch-for-cloudfoundry v201 and later: cloudfoundry-community/logsearch-for-cloudfoundry src/logsearch-config/src/logstash-filters/snippets/teardown.conf e25cfecf355fddd1eb9147425753f95581339d2f (v201.0.0), snippets/platform.conf 09ce736c543aa1f8378926fdfd0153315e892c09, snippets/platform-vcap.conf 2af6a219f27da94caac20f0f155b12897082057e
 */
const LOGSEARCH_FIELDS = [
  {
    shipper: 'logsearch-boshrelease',
    message: ['@raw', '@message'],
    program: ['syslog_program'],
    host: ['syslog_hostname', '@source.host'],
  },
  {
    shipper: 'logsearch-for-cloudfoundry before v201',
    message: ['@raw', '@message'],
    program: ['syslog_program', '@source.component'],
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
