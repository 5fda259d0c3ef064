/**
 * The runbook commands' flags turned into a run's settings and live options. URL credentials are
 * registered as secrets and kept out of what is journaled.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { isGuid } from '../../core/guid.js';
import { secrets, invocation } from '../../core/invocation.js';
import { stripUrlCredentials, type StrippedUrl } from '../../core/url-secrets.js';
import type { LiveOptions, Settings } from '../../engine/runbook/index.js';
import { parseClusterdataUrl } from '../../logs/clusterdata.js';
import type { RunFlags } from './flags.js';
import { s3TimeoutMs } from '../flags/s3.js';

/**
 * A URL flag's value without credentials: they are registered as secrets at once (so nothing prints
 * or journals them) and taken out of what is journaled; the operator is told what was taken out.
 */
function urlFlag(flag: string, value: string): StrippedUrl {
  const stripped = stripUrlCredentials(flag, value, secrets());
  if (stripped.notice) invocation().stderr.write(`dingo-recover: ${stripped.notice}\n`);
  return stripped;
}

export function settingsFrom(argv: RunFlags): Partial<Settings> {
  return { ...platformSettings(argv), ...evidenceSettings(argv), ...pacingSettings(argv), ...choiceSettings(argv) };
}

/** The syslog files, and the platform's tools on this machine and on the cells. */
function platformSettings(argv: RunFlags): Partial<Settings> {
  const s: Partial<Settings> = {};
  if (argv.logs) s.logPaths = argv.logs.map((p) => (p === '-' ? p : resolve(p)));
  if (argv['cf-bin']) s.cfBinary = argv['cf-bin'];
  if (argv['bosh-bin']) s.boshBinary = argv['bosh-bin'];
  if (argv['docker-bin']) s.dockerBinary = argv['docker-bin'];
  if (argv['docker-host']) s.dockerHost = argv['docker-host'];
  if (argv['scratch-docker-host']) s.scratchDockerHost = argv['scratch-docker-host'];
  if (argv['container-store-root']) s.containerStoreRoot = argv['container-store-root'].replace(/\/?$/, '/');
  if (argv['wal-bucket'] !== undefined) s.walBucket = walBucket(argv['wal-bucket']);
  return s;
}

function walBucket(given: string): string {
  const bucket = given
    .trim()
    .replace(/^s3:\/\//, '')
    .replace(/\/+$/, '');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(`--wal-bucket ${JSON.stringify(given)} is not an S3 bucket name`, {
      hint: "give the bucket alone, as WAL_S3_BUCKET in a Dingo container's environment shows it (docker inspect), e.g. --wal-bucket our-postgresql-backups",
    });
  }
  return bucket;
}

function evidenceSettings(argv: RunFlags): Partial<Settings> {
  const s: Partial<Settings> = {};
  if (argv['es-url']) {
    // Credentials in the URL are kept in this process's environment (as ES_USERNAME/ES_PASSWORD would
    // give them), never in the journal: a resume needs them given again.
    const es = urlFlag('--es-url', argv['es-url']);
    s.esUrl = es.url;
    if (es.credentials?.password) {
      invocation().env.ES_USERNAME = es.credentials.username ?? '';
      invocation().env.ES_PASSWORD = es.credentials.password;
    } else if (es.credentials?.username) {
      invocation().env.ES_API_KEY = es.credentials.username;
    }
  }
  if (argv['es-index']) s.esIndex = argv['es-index'];
  if (argv['es-ca-file']) s.esCaFile = resolve(argv['es-ca-file']);
  if (argv.clusterdata) {
    const clusterdata = urlFlag('--clusterdata', argv.clusterdata).url;
    if (!parseClusterdataUrl(clusterdata)) {
      throw new UsageError(`--clusterdata ${JSON.stringify(clusterdata)} is not an s3:// URL`, {
        hint: "give the broker's clusterdata bucket, e.g. --clusterdata s3://dingo-clusterdata",
      });
    }
    s.clusterdata = clusterdata;
  }
  return s;
}

function pacingSettings(argv: RunFlags): Partial<Settings> {
  const s: Partial<Settings> = {};
  if (argv.concurrency) s.copyConcurrency = argv.concurrency;
  if (argv['poll-interval']) s.createPollMs = s.restorePollMs = argv['poll-interval'] * 1000;
  if (argv['create-deadline']) s.createDeadlineMs = argv['create-deadline'] * 60_000;
  if (argv['restore-deadline']) s.restoreDeadlineMs = argv['restore-deadline'] * 60_000;
  return s;
}

function choiceSettings(argv: RunFlags): Partial<Settings> {
  const given = argv['deleted-instance'];
  if (given === undefined) return {};
  const guid = given.trim().toLowerCase();
  if (!isGuid(guid)) {
    throw new UsageError(`--deleted-instance ${JSON.stringify(given)} is not a service instance GUID`, {
      hint: 'give the whole GUID of one of the candidates the run listed',
    });
  }
  return { deletedInstance: guid };
}

export function liveFrom(argv: RunFlags): LiveOptions {
  return {
    s3: {
      endpoint: argv['s3-endpoint'] === undefined ? undefined : urlFlag('--s3-endpoint', argv['s3-endpoint']).url,
      region: argv['s3-region'],
      pathStyle: argv['s3-path-style'],
      timeoutMs: s3TimeoutMs(argv['s3-timeout']),
    },
    ssh: sshFrom(argv),
  };
}

/** The flags that say how the cells are reached: what a run and `drill --on-cell` take alike. */
export type CellReachFlags = Pick<RunFlags, 'ssh-via' | 'gateway' | 'ssh-user' | 'ssh-key' | 'known-hosts' | 'ssh-config' | 'bosh-bin'>;

/** How the cells are reached, from those flags. */
export function sshFrom(argv: CellReachFlags): NonNullable<LiveOptions['ssh']> {
  return {
    ...sshVia(argv),
    gateway: argv.gateway,
    user: argv['ssh-user'],
    identityFile: argv['ssh-key'],
    knownHostsFile: argv['known-hosts'],
    sshConfigFile: argv['ssh-config'],
  };
}

/**
 * `--ssh-via bosh`: each session's user, key and host key are bosh's own, so a cell user or
 * known_hosts file given for the direct way is refused rather than silently unused.
 */
function sshVia(argv: CellReachFlags): LiveOptions['ssh'] {
  if (argv['ssh-via'] !== 'bosh') return argv['ssh-via'] ? { via: argv['ssh-via'] } : {};
  const unused = (['ssh-user', 'known-hosts'] as const).filter((f) => argv[f] !== undefined);
  if (unused.length) {
    throw new UsageError(`--ssh-via bosh does not use ${unused.map((f) => `--${f}`).join(' or ')}`, {
      hint: "`bosh ssh` logs in as a temporary user of its own with its own key, and takes the cell's host key from the director: drop those flags (or use --ssh-via direct)",
    });
  }
  if (argv.gateway !== undefined && /:\d+$/.test(argv.gateway)) {
    throw new UsageError(`--gateway ${argv.gateway}: bosh ssh takes the gateway's host and user, not its port`, {
      hint: "give the gateway a Host with its Port in ~/.ssh/config (bosh's ssh reads it) and pass that host",
    });
  }
  return { via: 'bosh', boshBinary: argv['bosh-bin'] };
}
