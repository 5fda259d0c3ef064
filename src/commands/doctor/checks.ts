/**
 * What `doctor` checks, and what recover, recover-space and resume check before they ask anything or
 * make a run folder: the cf CLI and its login, the bosh CLI and its director, the way to the cells,
 * S3 (credentials, endpoint, buckets), the logs, and who answers the questions. Every check that
 * waits on the network keeps a deadline. A rehearsal's checks ask its simulated platform.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { boshEnvArgs, parseBoshEnv } from '../../adapters/bosh-env.js';
import { BoshCli } from '../../adapters/bosh.js';
import { cfEnv, parseCfVersionOutput } from '../../adapters/cf/index.js';
import { isRecord } from '../../core/json.js';
import { esTimeoutSeconds } from '../../core/log-source.js';
import type { Platform } from '../../core/seams.js';
import { interactive } from '../../engine/operator/index.js';
import type { LiveOptions, Settings } from '../../engine/runbook/index.js';
import { parseClusterdataUrl } from '../../logs/clusterdata.js';
import { EsHttpClient, describeServer } from '../../systems/elasticsearch/index.js';
import { s3Reach } from '../../systems/s3/index.js';
import { reachGateway } from '../../systems/ssh/index.js';
import { withDeadline, type Check } from './check.js';
import { parseGateway } from '../run/live-platform.js';
import { secrets } from '../../core/redact.js';

/** What the checks look at: the platform the run would use, its settings, and who answers. */
export interface DoctorSubject {
  mode: 'live' | 'rehearsal';
  platform: Platform;
  settings: Settings;
  live: LiveOptions | undefined;
  /** The answers file the run would read, if any. */
  answersFile: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Deadlines: a CLI that only reads, a connection, a listing. */
const CLI_MS = 20_000;
const CONNECT_MS = 15_000;
const LIST_MS = 30_000;

export function doctorChecks(s: DoctorSubject): Check[] {
  return [cfCli(s), cfLogin(s), bosh(s), cells(s), ...s3Checks(s), logs(s), operator(s)];
}

const ok = (detail: string) => ({ ok: true, detail });
/** Nothing reached: what the run will do instead, which this check could not prove from here. */
const notChecked = (detail: string) => ({ ok: true, checked: false as const, detail });
const failed = (detail: string, fix: string) => ({ ok: false, detail, fix });

/** A CLI that is not there: the shell's 127, or the kernel's word for it. */
function notFound(r: { exitCode: number; stderr: string }): boolean {
  return r.exitCode === 127 || /ENOENT|not found/i.test(r.stderr);
}

function cfCli(s: DoctorSubject): Check {
  const binary = s.settings.cfBinary;
  const fix = `install the cf CLI (v6 to v8) on PATH, or give its path: --cf-bin PATH`;
  return {
    name: 'cf CLI',
    fix,
    run: async (say) => {
      const r = await withDeadline(`${binary} version`, CLI_MS, say, () =>
        s.platform.cf.run({ argv: [binary, 'version'], env: cfEnv(s.env), writes: false, timeoutMs: CLI_MS }),
      );
      if (notFound(r)) return failed(`${binary} is not on PATH`, fix);
      const version = r.exitCode === 0 ? parseCfVersionOutput(r.stdout) : null;
      if (!version) return failed(`\`${binary} version\` did not print its version (exit ${String(r.exitCode)})`, fix);
      return ok(`${binary} version ${version}`);
    },
  };
}

/** The cf login, read from CF_HOME's config.json as cf keeps it, so no cf command may refresh or change it. */
function cfLogin(s: DoctorSubject): Check {
  const fix =
    'log in as the operator: cf login -a https://api.SYSTEM_DOMAIN (or set CF_HOME to the folder whose .cf/config.json holds the login)';
  if (s.mode === 'rehearsal') {
    return {
      name: 'cf login',
      fix,
      run: async (say) => {
        const r = await withDeadline('cf target', CLI_MS, say, () =>
          s.platform.cf.run({ argv: [s.settings.cfBinary, 'target'], env: cfEnv(s.env), writes: false, timeoutMs: CLI_MS }),
        );
        const api = /API endpoint:\s*(\S+)/i.exec(r.stdout)?.[1];
        const user = /^user:\s*(\S+)/im.exec(r.stdout)?.[1];
        return r.exitCode === 0 && api && user
          ? ok(`${api} as ${user} (simulated)`)
          : failed(`cf target: ${r.stdout}${r.stderr}`.trim(), fix);
      },
    };
  }
  return {
    name: 'cf login',
    fix,
    run: () => Promise.resolve(readCfConfig(join(s.env.CF_HOME || homedir(), '.cf', 'config.json'), fix)),
  };
}

function readCfConfig(file: string, fix: string): { ok: boolean; detail: string; fix?: string } {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return failed(missing ? `no cf login here: ${file} does not exist` : `${file} cannot be read as cf's configuration`, fix);
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const c = isRecord(config) ? config : {};
  const api = text(c.Target);
  if (!api) return failed(`cf targets no API (${file})`, 'cf api https://api.SYSTEM_DOMAIN, then cf login');
  if (!text(c.AccessToken) && !text(c.RefreshToken)) return failed(`cf is not logged in to ${api} (${file})`, `cf login -a ${api}`);
  const name = (v: unknown): string => (isRecord(v) ? text(v.Name) : '');
  const org = name(c.OrganizationFields);
  const space = name(c.SpaceFields);
  return ok(`${api}, logged in${org ? `, targeting ${org}${space ? `/${space}` : ''}` : ''} (${file})`);
}

function bosh(s: DoctorSubject): Check {
  const binary = s.settings.boshBinary;
  const fix = `install the bosh CLI on PATH, or give its path: --bosh-bin PATH; set BOSH_ENVIRONMENT, BOSH_CLIENT and BOSH_CLIENT_SECRET (v2) or bosh target and bosh login (v1)`;
  return {
    name: 'bosh',
    fix,
    run: async (say) => {
      const cli = new BoshCli(s.platform.bosh, { binary, readTimeoutMs: CLI_MS, redactor: secrets });
      const { version, major } = await withDeadline(`${binary} --version`, CLI_MS, say, () => cli.version());
      const args = boshEnvArgs(major);
      const r = await withDeadline(`${binary} ${args.join(' ')}`, CLI_MS, say, () =>
        s.platform.bosh.run({ argv: [binary, ...args], writes: false, timeoutMs: CLI_MS }),
      );
      const login = major === 2 ? 'bosh log-in (or BOSH_CLIENT and BOSH_CLIENT_SECRET)' : 'bosh login';
      if (r.exitCode !== 0) {
        const why = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-3).join(' ');
        return failed(
          `\`${binary} ${args.join(' ')}\` failed (exit ${String(r.exitCode)}): ${why}`,
          `target the director (BOSH_ENVIRONMENT, or bosh target) and ${login}`,
        );
      }
      const env = parseBoshEnv(major, r.stdout);
      if (env.user === null) return failed(`bosh ${version} reaches ${env.director} but is not logged in`, login);
      return ok(`bosh ${version}: ${env.director} as ${env.user}`);
    },
  };
}

function cells(s: DoctorSubject): Check {
  const fix = 'check --gateway user@host[:port], --ssh-key, --known-hosts and --ssh-config: `ssh -J GATEWAY vcap@CELL` must work from here';
  return {
    name: 'cells',
    fix,
    run: async (say) => {
      if (s.mode === 'rehearsal') return ok('the simulated cells of the scenario');
      const ssh = s.live?.ssh ?? {};
      // Through `bosh ssh`, bosh itself makes the way (its check above): its gateway is the director's to use.
      if (ssh.via === 'bosh') {
        return notChecked("no cell reached: each is reached through `bosh ssh` (the director's SSH gateway) once the run finds it");
      }
      if (!ssh.gateway)
        return notChecked('no --gateway: no cell reached; each is reached over SSH as the ssh config says, when the run finds it');
      const gateway = parseGateway(ssh.gateway);
      const reached = await withDeadline(`the SSH handshake with the gateway ${ssh.gateway}`, CONNECT_MS, say, () =>
        reachGateway({
          gateway,
          user: ssh.user,
          identityFile: ssh.identityFile,
          knownHostsFile: ssh.knownHostsFile,
          sshConfigFile: ssh.sshConfigFile,
          agent: s.env.SSH_AUTH_SOCK || undefined,
          readyTimeoutMs: CONNECT_MS,
          redactor: secrets,
        }),
      );
      return ok(`gateway ${reached}: host key known, logged in`);
    },
  };
}

/** The buckets a run reads before it finds any in the logs: --wal-bucket and --clusterdata's. */
function knownBuckets(settings: Settings): string[] {
  const clusterdata = settings.clusterdata ? parseClusterdataUrl(settings.clusterdata)?.bucket : undefined;
  return [...new Set([settings.walBucket, clusterdata].filter((b): b is string => !!b))];
}

function s3Checks(s: DoctorSubject): Check[] {
  const buckets: Check = {
    name: 'S3 buckets',
    fix: 'check the bucket (--wal-bucket, --clusterdata) and that these credentials may list it (s3:ListBucket)',
    run: async (say) => {
      const names = knownBuckets(s.settings);
      if (names.length === 0) return notChecked('no bucket given (--wal-bucket, --clusterdata): each is read when the run finds it');
      for (const bucket of names) {
        await withDeadline(`a listing of s3://${bucket} (${s.platform.s3.where})`, LIST_MS, say, async () => {
          for await (const first of s.platform.s3.list(bucket, '')) return first;
          return undefined;
        });
      }
      return ok(`${names.map((b) => `s3://${b}`).join(', ')} listed`);
    },
  };
  if (s.mode === 'rehearsal') return [buckets];
  const o = s.live?.s3 ?? {};
  const reach = s3Reach(
    { endpoint: o.endpoint, region: o.region, forcePathStyle: o.pathStyle, timeoutMs: CONNECT_MS, maxAttempts: 1, redactor: secrets },
    s.env,
  );
  return [
    {
      name: 'S3 credentials',
      fix: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the service container's: docker inspect shows them), or AWS_PROFILE",
      run: async (say) => {
        await withDeadline('the AWS credential chain', CONNECT_MS, say, () => reach.credentials());
        return ok('resolved from the AWS credential chain');
      },
    },
    {
      name: 'S3 endpoint',
      fix: 'check --s3-endpoint (else AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL), --s3-region, and https_proxy/no_proxy',
      run: async (say) => {
        const reached = await withDeadline(`a TCP connection to ${reach.where}`, CONNECT_MS, say, () => reach.connect(CONNECT_MS));
        return ok(`${reach.where}: ${reached} answers`);
      },
    },
    buckets,
  ];
}

function logs(s: DoctorSubject): Check {
  const fix = 'give the platform syslog: --logs PATH (files or folders, .gz is fine) or --es-url URL (Logsearch)';
  return {
    name: 'logs',
    fix,
    run: async (say) => {
      const { logPaths, esUrl } = s.settings;
      if (s.mode === 'rehearsal') {
        const source = s.platform.openLogs({ paths: logPaths.length ? logPaths : undefined });
        return source.empty ? failed('the scenario has no syslog', fix) : ok("the scenario's syslog");
      }
      if (logPaths.length === 0 && !esUrl) return failed('no logs to search', fix);
      const found: string[] = [];
      for (const path of logPaths) {
        if (path === '-') {
          found.push('standard input');
          continue;
        }
        try {
          accessSync(path, constants.R_OK);
          if (statSync(path).isDirectory()) readdirSync(path);
        } catch (err) {
          return failed(
            `${path} cannot be read: ${(err as Error).message}`,
            `check --logs ${path}: it must be a file or folder this user can read`,
          );
        }
        found.push(path);
      }
      if (esUrl) {
        const es = new EsHttpClient({
          url: esUrl,
          caFile: s.settings.esCaFile,
          apiKey: s.env.ES_API_KEY,
          username: s.env.ES_USERNAME,
          password: s.env.ES_PASSWORD,
          timeoutSeconds: Math.min(esTimeoutSeconds(s.env.ES_TIMEOUT) ?? CONNECT_MS / 1000, CONNECT_MS / 1000),
          redactor: secrets,
        });
        try {
          // One attempt: the check has its own deadline, and says its own wait.
          const answer = await withDeadline(`GET / of ${esUrl}`, CONNECT_MS, say, () => es.request('GET', '', undefined, { attempts: 1 }));
          const server = describeServer(answer.body);
          found.push(`${esUrl} (${server.distribution} ${server.version})`);
        } catch (err) {
          return failed(
            `${esUrl} does not answer as Elasticsearch: ${(err as Error).message}`,
            'check --es-url, --es-ca-file and ES_API_KEY (or ES_USERNAME and ES_PASSWORD)',
          );
        } finally {
          await es.close();
        }
      }
      return ok(found.join(', ') + ' readable');
    },
  };
}

function operator(s: DoctorSubject): Check {
  const fix = 'run at a terminal, or give the answers: --answers FILE (and --yes to accept confirmations)';
  return {
    name: 'operator',
    fix,
    run: () => {
      if (s.answersFile) {
        try {
          accessSync(s.answersFile, constants.R_OK);
        } catch (err) {
          return Promise.resolve(failed(`the answers file cannot be read: ${(err as Error).message}`, `check --answers ${s.answersFile}`));
        }
      }
      if (interactive()) return Promise.resolve(ok('a terminal asks the questions'));
      return Promise.resolve(
        s.answersFile ? ok(`no terminal: the answers come from ${s.answersFile}`) : failed('no terminal to ask on, and no --answers', fix),
      );
    },
  };
}
