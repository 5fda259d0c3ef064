/** Where `logs find` and `logs instance` search: syslog files, Elasticsearch, the clusterdata bucket. */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import type { LogSourceSpec } from '../core/log-source.js';
import type { S3Flags } from '../core/s3-flags.js';
import { stripUrlCredentials } from '../core/url-secrets.js';
import { parseClusterdataUrl } from '../logs/clusterdata.js';
import type { ClusterdataSpec } from '../logs/types.js';
import { parseTime } from './log-time.js';
import { storeFromFlags } from './s3-flags.js';

export interface SourceArgs {
  logs?: string[];
  'es-url'?: string;
  'es-index': string;
  'es-api-key'?: string;
  'es-username'?: string;
  'es-password'?: string;
  'es-ca-file'?: string;
}

export function sourceOptions<T>(y: Argv<T>) {
  return y
    .option('logs', { type: 'string', array: true, describe: 'syslog files or folders (plain or .gz, rotated); - for stdin' })
    .option('es-url', { type: 'string', describe: 'Elasticsearch / Logsearch URL (env ES_URL)', default: process.env.ES_URL })
    .option('es-index', { type: 'string', default: process.env.ES_INDEX ?? 'logs-*', describe: 'index pattern (env ES_INDEX)' })
    .option('es-api-key', { type: 'string', describe: 'API key (env ES_API_KEY)', default: process.env.ES_API_KEY })
    .option('es-username', { type: 'string', describe: 'basic auth user (env ES_USERNAME)', default: process.env.ES_USERNAME })
    .option('es-password', { type: 'string', describe: 'basic auth password (env ES_PASSWORD)', default: process.env.ES_PASSWORD })
    .option('es-ca-file', { type: 'string', describe: 'PEM CA file (env ES_CA_FILE)', default: process.env.ES_CA_FILE })
    .option('since', { type: 'string', describe: 'only lines at or after: ISO time or age like 3d, 12h' })
    .option('until', { type: 'string', describe: 'only lines at or before: ISO time or age like 1d' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' });
}

export function sourcesFromArgs(a: SourceArgs): LogSourceSpec {
  secrets.register(a['es-api-key']);
  secrets.register(a['es-password']);
  const paths = (a.logs ?? []).map(String).filter((p) => p !== '');
  if (!paths.length && !a['es-url'])
    throw new UsageError('no logs to search', {
      hint: 'Give syslog files or folders with --logs PATH... (- for stdin), or Elasticsearch with --es-url URL',
    });
  if (a['es-api-key'] && a['es-username']) throw new UsageError('give either --es-api-key or --es-username/--es-password, not both');
  // Credentials written into the URL are registered as secrets and used, never shown.
  const es = a['es-url'] ? stripUrlCredentials('--es-url', a['es-url']) : undefined;
  const fromUrl = es?.credentials;
  return {
    paths: paths.length ? paths : undefined,
    es: es
      ? {
          url: es.url,
          index: a['es-index'],
          apiKey: a['es-api-key'] ?? (fromUrl && !fromUrl.password ? (fromUrl.username ?? undefined) : undefined),
          username: a['es-username'] ?? (fromUrl?.password ? (fromUrl.username ?? undefined) : undefined),
          password: a['es-password'] ?? fromUrl?.password ?? undefined,
          caFile: a['es-ca-file'],
        }
      : undefined,
  };
}

/** What a `logs` search reads and the time window it keeps to, from the flags `sourceOptions` declares. */
export function searchFromArgs(a: SourceArgs & { since?: string; until?: string }) {
  return { sources: sourcesFromArgs(a), since: parseTime('since', a.since), until: parseTime('until', a.until) };
}

export async function clusterdataFromArgs(a: S3Flags & { clusterdata?: string }): Promise<ClusterdataSpec | undefined> {
  if (!a.clusterdata) return undefined;
  const url = stripUrlCredentials('--clusterdata', a.clusterdata).url;
  const where = parseClusterdataUrl(url);
  if (!where)
    throw new UsageError(`--clusterdata ${JSON.stringify(url)} is not an s3:// URL`, {
      hint: "Give the broker's clusterdata bucket, e.g. --clusterdata s3://dingo-clusterdata",
    });
  const store = await storeFromFlags(a);
  return { store, ...where };
}
