/** Where `logs find` and `logs instance` search: syslog files, Elasticsearch, the clusterdata bucket. */
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { secrets, invocation } from '../../core/invocation.js';
import {
  DEFAULT_ES_MAX_DOCS,
  DEFAULT_ES_TIMEOUT_SECONDS,
  ES_ATTEMPTS,
  esMaxDocs,
  esTimeoutSeconds,
  LOGSEARCH_INDEX,
  type LogSourceSpec,
} from '../../core/log-source.js';
import type { S3Flags } from '../../core/s3-flags.js';
import { stripUrlCredentials } from '../../core/url-secrets.js';
import { parseClusterdataUrl } from '../../logs/clusterdata.js';
import { openLogSource } from '../../systems/log-source.js';
import type { ClusterdataSpec } from '../../logs/types.js';
import { parseTime } from './time.js';
import { storeFromFlags } from '../flags/s3.js';
import { LOG_FLAGS } from './evidence-flags.js';

export interface SourceArgs {
  logs?: string[];
  'es-url'?: string;
  'es-index'?: string;
  'es-api-key'?: string;
  'es-username'?: string;
  'es-password'?: string;
  'es-ca-file'?: string;
  'es-timeout'?: number;
  'es-max-docs'?: number;
}

/** The variables that stand in for the Elasticsearch flags a `logs` search is not given. */
const ENV_EPILOGUE =
  'Elasticsearch settings not given as flags are read from ES_URL, ES_INDEX, ES_CA_FILE, ES_TIMEOUT, ES_API_KEY, ES_USERNAME and ES_PASSWORD; credentials are best left there, out of the process list and the shell history.';

/** The flags of a `logs` search: the sources the runbook commands take, their credentials, a time window, the output. */
export function sourceOptions<T>(y: Argv<T>) {
  return (
    y
      .options(LOG_FLAGS)
      // No defaults from the environment here: yargs would print them in --help.
      .option('es-api-key', { type: 'string', describe: 'API key (else ES_API_KEY)' })
      .option('es-username', { type: 'string', describe: 'basic auth user (else ES_USERNAME)' })
      .option('es-password', { type: 'string', describe: 'basic auth password (else ES_PASSWORD)' })
      .option('es-timeout', {
        type: 'number',
        describe: `seconds each of an Elasticsearch request's ${ES_ATTEMPTS} attempts may take to connect and to answer in full (else ES_TIMEOUT, default ${DEFAULT_ES_TIMEOUT_SECONDS})`,
      })
      .option('es-max-docs', {
        type: 'number',
        describe: `documents a search reads at most before it stops, saying so (else ES_MAX_DOCS, default ${DEFAULT_ES_MAX_DOCS})`,
      })
      // A file's lines are read whole: an instance's name, nodes and archive may have been logged long before its deletion.
      .option('since', {
        type: 'string',
        describe: 'only deletions at or after, files last written since and Elasticsearch documents from: ISO time or age like 3d, 12h',
      })
      .option('until', {
        type: 'string',
        describe: 'only deletions at or before and Elasticsearch documents up to: ISO time or age like 1d',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .epilogue(ENV_EPILOGUE)
  );
}

export function sourcesFromArgs(a: SourceArgs, env: NodeJS.ProcessEnv = invocation().env): LogSourceSpec {
  // Credentials given as flags replace the environment's as a whole, never mix with them.
  const given = a['es-api-key'] ?? a['es-username'] ?? a['es-password'];
  const apiKey = given ? a['es-api-key'] : env.ES_API_KEY;
  const username = given ? a['es-username'] : env.ES_USERNAME;
  const password = given ? a['es-password'] : env.ES_PASSWORD;
  secrets().register(apiKey);
  secrets().register(password);
  const esUrl = a['es-url'] ?? env.ES_URL;
  const paths = (a.logs ?? []).map(String).filter((p) => p !== '');
  if (!paths.length && !esUrl)
    throw new UsageError('no logs to search', {
      hint: 'Give syslog files or folders with --logs PATH... (- for stdin), or Elasticsearch with --es-url URL',
    });
  if (apiKey && username)
    throw new UsageError('both an API key and a username for Elasticsearch', {
      hint: 'give either --es-api-key (or ES_API_KEY) or --es-username/--es-password (or ES_USERNAME/ES_PASSWORD), not both',
    });
  // Credentials written into the URL are registered as secrets and used, never shown.
  const es = esUrl ? stripUrlCredentials('--es-url', esUrl, secrets()) : undefined;
  const fromUrl = es?.credentials;
  return {
    paths: paths.length ? paths : undefined,
    es: es
      ? {
          url: es.url,
          index: a['es-index'] ?? env.ES_INDEX ?? LOGSEARCH_INDEX,
          apiKey: apiKey ?? (fromUrl && !fromUrl.password ? (fromUrl.username ?? undefined) : undefined),
          username: username ?? (fromUrl?.password ? (fromUrl.username ?? undefined) : undefined),
          password: password ?? fromUrl?.password ?? undefined,
          caFile: a['es-ca-file'] ?? env.ES_CA_FILE,
          timeoutSeconds: esTimeoutSeconds(a['es-timeout'] ?? env.ES_TIMEOUT),
          maxDocs: esMaxDocs(a['es-max-docs'] ?? env.ES_MAX_DOCS),
          redactor: secrets(),
        }
      : undefined,
  };
}

/** What a `logs` search reads and the time window it keeps to, from the flags `sourceOptions` declares. */
export function searchFromArgs(a: SourceArgs & { since?: string; until?: string }) {
  return {
    sources: openLogSource(sourcesFromArgs(a)),
    redactor: secrets(),
    since: parseTime('since', a.since),
    until: parseTime('until', a.until),
  };
}

export async function clusterdataFromArgs(a: S3Flags & { clusterdata?: string }): Promise<ClusterdataSpec | undefined> {
  if (!a.clusterdata) return undefined;
  const url = stripUrlCredentials('--clusterdata', a.clusterdata, secrets()).url;
  const where = parseClusterdataUrl(url);
  if (!where)
    throw new UsageError(`--clusterdata ${JSON.stringify(url)} is not an s3:// URL`, {
      hint: "Give the broker's clusterdata bucket, e.g. --clusterdata s3://dingo-clusterdata",
    });
  const store = await storeFromFlags(a);
  return { store, ...where };
}
