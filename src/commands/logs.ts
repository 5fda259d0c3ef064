/**
 * `dingo-recover logs find`: which deleted instance a service name belonged to, with evidence.
 * `dingo-recover logs instance`: the containers, cells and archive of one instance (the new one).
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import { printableJson } from '../core/display.js';
import { isGuid } from '../adapters/log-events.js';
import { parseClusterdataUrl } from '../logs/clusterdata.js';
import type { ClusterdataSpec } from '../logs/types.js';
import type { LogSourceSpec } from '../core/log-source.js';
import { storeFromFlags } from './s3-flags.js';
import { stripUrlCredentials } from '../core/url-secrets.js';

interface SourceArgs {
  logs?: string[];
  'es-url'?: string;
  'es-index': string;
  'es-api-key'?: string;
  'es-username'?: string;
  'es-password'?: string;
  'es-ca-file'?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

interface FindArgs extends SourceArgs {
  'service-name': string;
  org?: string;
  space?: string;
  'space-guid'?: string;
  clusterdata?: string;
  's3-endpoint'?: string;
  's3-region'?: string;
  's3-path-style'?: boolean;
}

interface InstanceArgs extends SourceArgs {
  guid: string;
}

function sourceOptions<T>(y: Argv<T>): Argv<T> {
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
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as Argv<T>;
}

/** The oldest age --since and --until take: 100 years, in each unit. */
const MAX_AGE = { d: 36_500, h: 876_000, m: 52_560_000 } as const;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** An ISO time, a date, or an age (`3d`, `12h`, `30m`) counted back from now. */
export function parseTime(flag: string, value: string | undefined, now = Date.now()): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  const age = /^(\d+)([dhm])$/.exec(text);
  if (age) {
    const unit = age[2] as 'd' | 'h' | 'm';
    const n = Number(age[1]);
    if (n > MAX_AGE[unit]) {
      throw new UsageError(`--${flag} ${text}: an age goes back at most 100 years (0 to ${MAX_AGE.d}d, ${MAX_AGE.h}h or ${MAX_AGE.m}m)`, {
        hint: `give a smaller age, or an ISO time (--${flag} 2016-03-17T06:00:00Z)`,
      });
    }
    return new Date(now - n * UNIT_MS[unit]);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a time`, {
      hint: `Use an ISO time (2016-03-17T06:00:00Z), a date (2016-03-17) or an age (3d, 12h; at most ${MAX_AGE.d}d)`,
    });
  return d;
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

export async function clusterdataFromArgs(a: FindArgs): Promise<ClusterdataSpec | undefined> {
  if (!a.clusterdata) return undefined;
  a.clusterdata = stripUrlCredentials('--clusterdata', a.clusterdata).url;
  const where = parseClusterdataUrl(a.clusterdata);
  if (!where)
    throw new UsageError(`--clusterdata ${JSON.stringify(a.clusterdata)} is not an s3:// URL`, {
      hint: "Give the broker's clusterdata bucket, e.g. --clusterdata s3://dingo-clusterdata",
    });
  const store = await storeFromFlags({ s3Endpoint: a['s3-endpoint'], s3Region: a['s3-region'], s3PathStyle: a['s3-path-style'] });
  return { store, ...where };
}

const find: CommandModule<object, FindArgs> = {
  command: 'find',
  describe: 'Find the deleted instance a service name belonged to, ranked, with the log lines that show it',
  builder: (y: Argv<object>) =>
    sourceOptions(y)
      .option('service-name', { type: 'string', demandOption: true, describe: 'the name the user gave the deleted service' })
      .option('org', { type: 'string', describe: 'org (a GUID filters; a name is only noted)' })
      .option('space', { type: 'string', describe: 'space (a GUID filters; a name is only noted)' })
      .option('space-guid', { type: 'string', describe: 'space GUID: instances of other spaces are left out' })
      .option('clusterdata', { type: 'string', describe: "the broker's clusterdata backup bucket, s3://BUCKET[/PREFIX]" })
      .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint for --clusterdata' })
      .option('s3-region', { type: 'string', describe: 'S3 region for --clusterdata' })
      .option('s3-path-style', { type: 'boolean', describe: 'path-style S3 addressing' })
      .example(
        '$0 logs find --service-name important-db --logs /var/log/syslog* --json',
        'rank the candidates',
      ) as unknown as Argv<FindArgs>,
  handler: async (a) => {
    if (a['space-guid'] && !isGuid(a['space-guid']))
      throw new UsageError(`--space-guid ${JSON.stringify(a['space-guid'])} is not a GUID`, { hint: 'Get it with: cf space SPACE --guid' });
    const { findDeletedInstance, noCandidateError } = await import('../logs/find.js');
    const { renderCandidates } = await import('./render-logs.js');
    const result = await findDeletedInstance({
      sources: sourcesFromArgs(a),
      serviceName: a['service-name'],
      org: a.org,
      space: a.space,
      spaceGuid: a['space-guid'],
      since: parseTime('since', a.since),
      until: parseTime('until', a.until),
      clusterdata: await clusterdataFromArgs(a),
    });
    process.stdout.write(secrets.redact(a.json ? printableJson(result, 2) + '\n' : renderCandidates(result.candidates, result.searched)));
    if (result.candidates.length === 0) throw noCandidateError(a['service-name'], result.searched);
  },
};

const instance: CommandModule<object, InstanceArgs> = {
  command: 'instance <guid>',
  describe: "Find an instance's containers, their cells and its archive prefix (e.g. the new instance)",
  builder: (y: Argv<object>) =>
    sourceOptions(y).positional('guid', {
      type: 'string',
      demandOption: true,
      describe: 'instance GUID (cf service NAME --guid)',
    }) as unknown as Argv<InstanceArgs>,
  handler: async (a) => {
    if (!isGuid(a.guid))
      throw new UsageError(`${JSON.stringify(a.guid)} is not an instance GUID`, { hint: 'Get it with: cf service NAME --guid' });
    const { findInstance } = await import('../logs/find.js');
    const { renderInstance } = await import('./render-logs.js');
    const facts = await findInstance({
      sources: sourcesFromArgs(a),
      instanceGuid: a.guid,
      since: parseTime('since', a.since),
      until: parseTime('until', a.until),
    });
    process.stdout.write(secrets.redact(a.json ? printableJson(facts, 2) + '\n' : renderInstance(facts)));
  },
};

export const logsCommand: CommandModule = {
  command: 'logs <command>',
  describe: "Search the platform logs: find a deleted instance, or an instance's containers and archive",
  builder: (y: Argv) =>
    y
      .command(find as unknown as CommandModule)
      .command(instance as unknown as CommandModule)
      .demandCommand(1),
  handler: () => undefined,
};
