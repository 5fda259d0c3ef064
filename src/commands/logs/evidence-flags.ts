/**
 * Where the evidence is: the syslog files, Elasticsearch and the broker's clusterdata bucket. One
 * definition of each flag for the runbook commands (run-flags.ts) and `logs` (log-sources.ts), so
 * they read and are described alike. Credentials are never among them: Elasticsearch's come from
 * the environment, or with `logs` from flags of its own.
 */
import type { Options } from 'yargs';

/** Syslog files and Elasticsearch. */
export const LOG_FLAGS = {
  logs: { type: 'string', array: true, describe: 'syslog files or folders (plain, .gz, rotated; - for stdin)' },
  'es-url': {
    type: 'string',
    describe: 'Elasticsearch / Logsearch to search (credentials from ES_API_KEY or ES_USERNAME/ES_PASSWORD, deadline from ES_TIMEOUT)',
  },
  'es-index': {
    type: 'string',
    describe:
      'index pattern(s), comma-separated (default logstash-*,logs-platform-*,logs-unparsed-*: logsearch-boshrelease and logsearch-for-cloudfoundry)',
  },
  'es-ca-file': { type: 'string', describe: "PEM file of the CA that signed Elasticsearch's certificate" },
} as const satisfies Record<string, Options>;

/** The broker's clusterdata backup bucket. */
export const CLUSTERDATA_FLAG = {
  clusterdata: {
    type: 'string',
    describe: "the broker's clusterdata backup bucket, s3://BUCKET[/PREFIX]: names instances and holds the deleted one's credentials",
  },
} as const satisfies Record<string, Options>;
