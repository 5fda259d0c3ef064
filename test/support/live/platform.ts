/**
 * A live platform on loopback for the end-to-end test of `dingo-recover recover`:
 *
 * - a jumpbox and a cell: two private sshd (test/support/sshd.ts), the cell user with
 *   passwordless sudo, reached through an OpenSSH client config (the cell IP of the logs
 *   mapped to 127.0.0.1:PORT, ProxyJump through the jumpbox, pinned known_hosts);
 * - the cell's docker: the fake Docker 1.11 client (test/support/fake-docker/docker) with
 *   live-cell behaviour (./cell-docker.ts), its data volumes on the REAL filesystem under the
 *   default cf-containers-broker root;
 * - a real etcd (v2 API) the container's ETCD_HOST_PORT names, reached through the SSH forward;
 * - moto_server holding the deleted instance's archive;
 * - fake `cf` and `bosh` processes (test/support/fake-cli) in the seed incident's worlds, the
 *   cf one with a broker hook (./broker-hook.ts) that creates the new instance on the parts above;
 * - the seed incident's syslog, plus the file the broker and the new container log to; given
 *   with --logs, or (case option logsIn: 'elasticsearch') indexed line by line in a small
 *   Elasticsearch over HTTP (../es-http.ts) given with --es-url and an API key in the environment.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadScenario } from '../../../src/rehearsal/world.js';
import { createS3Store } from '../../../src/systems/s3.js';
import type { ObjectStore } from '../../../src/core/seams.js';
import type { CfWorld } from '../../../src/rehearsal/cf-sim.js';
import { parseSyslog } from '../../../src/adapters/syslog.js';
import { startSshd, type Sshd } from '../sshd.js';
import { startEtcd, type Etcd } from '../etcd.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../moto.js';
import { setUpFakeClis, type FakeClis } from '../fake-cli/install.js';
import { startEsHttp, type EsDocument, type EsHttp } from '../es-http.js';
import { FAKE_DOCKER, fakeDaemon } from '../fake-docker/world.js';
import type { CommandHold, LiveCellWorld } from './cell-docker.js';
import {
  BROKER_CONFIG_ENV,
  BUCKET,
  CELL_HOST,
  CELL_IP,
  OLD_GUID,
  OLD_ROLES,
  OLD_SYSID,
  OTHER_TENANT_ARCHIVE,
  OTHER_TENANT_PREFIX,
  archivePrefix,
  httpSync,
  oldArchive,
  s3Request,
  type BrokerConfig,
} from './shared.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SEED = join(ROOT, 'fixtures/seed-003');
/**
 * Where cf-containers-broker keeps volumes in these tests: a temporary tree the live run is
 * given with --container-store-root (on a real cell it is the default, /var/vcap/store/...).
 */
const STORE_PARENT = mkdtempSync(join(tmpdir(), 'dingo-live-store-'));
chmodSync(STORE_PARENT, 0o755);
export const STORE_ROOT = `${join(STORE_PARENT, 'cf-containers-broker')}/`;
mkdirSync(STORE_ROOT, { mode: 0o755 });

export interface LiveServers {
  gateway: Sshd;
  cell: Sshd;
  etcd: Etcd;
  moto: Moto;
  /** A client on moto (the operator's credentials). */
  s3: ObjectStore;
  stop(): Promise<void>;
}

/** Starts the servers every case shares and seeds moto with the deleted instance's archive. */
export async function startLiveServers(): Promise<LiveServers> {
  const started = await Promise.allSettled([
    startSshd({ user: 'dingolivegw' }),
    startSshd({ user: 'dingolivecell', sudo: 'nopasswd' }),
    startEtcd(),
    startMoto(),
  ]);
  const [gw, cell, etcd, moto] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined)) as [Sshd?, Sshd?, Etcd?, Moto?];
  const stop = async (): Promise<void> => {
    await Promise.all([gw?.stop(), cell?.stop(), etcd?.stop(), moto?.stop()]);
    rmSync(STORE_PARENT, { recursive: true, force: true });
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  await moto!.createBucket(BUCKET);
  const creds = { ...MOTO_CREDENTIALS, region: 'us-east-1' };
  const put = (key: string, body: string) => s3Request('PUT', moto!.endpoint, BUCKET, key, creds, body);
  const puts = [
    ...oldArchive().map(([rel, body]) => put(archivePrefix(OLD_GUID) + rel, body)),
    ...OTHER_TENANT_ARCHIVE.map(([rel, body]) => put(OTHER_TENANT_PREFIX + rel, body)),
  ];
  const bad = httpSync(puts).filter((r) => r.status !== 200);
  if (bad.length) {
    await stop();
    throw new Error(`seeding moto failed: ${JSON.stringify(bad)}`);
  }
  return {
    gateway: gw!,
    cell: cell!,
    etcd: etcd!,
    moto: moto!,
    s3: createS3Store({ ...moto!.options, credentials: MOTO_CREDENTIALS }),
    stop,
  };
}

/** Every secret the platform holds for one case: none may reach the run folder. */
export interface CaseSecrets {
  containerAwsKeyId: string;
  containerAwsSecret: string;
  operatorAwsSecret: string;
  passwords: string[];
  /** A line from the middle of each private key the run uses. */
  privateKeyLines: string[];
  /** The Elasticsearch API key (ES_API_KEY) when the case searches Elasticsearch. */
  esApiKey?: string;
}

export interface LiveCase {
  /** The case's own temporary folder (removed by cleanup). */
  dir: string;
  newGuid: string;
  nodeUuid: string;
  container: string;
  /** The container's /data on the cell (this machine's filesystem). */
  dataDir: string;
  stateDir: string;
  newPasswords: Record<string, string>;
  secrets: CaseSecrets;
  /** `recover` arguments after the command name, without --state-dir. */
  liveArgs: string[];
  /** Environment for every dingo-recover child process of this case. */
  env: Record<string, string>;
  readCf(): Promise<CfWorld>;
  readCell(): LiveCellWorld;
  /** etcd v2 GET: the value, or null when the key does not exist. */
  etcdGet(key: string): Promise<string | null>;
  /** The Elasticsearch the logs are in (case option logsIn: 'elasticsearch'), with what it served. */
  es?: EsHttp;
  cleanup(): Promise<void>;
}

function sshConfig(s: LiveServers, knownHosts: string, jumpboxPort: number): string {
  return [
    `Host dingo-jumpbox`,
    `  HostName 127.0.0.1`,
    `  Port ${jumpboxPort}`,
    `  User ${s.gateway.user}`,
    `  IdentityFile ${s.gateway.clientKeyFile}`,
    `Host ${CELL_IP}`,
    `  HostName 127.0.0.1`,
    `  Port ${s.cell.port}`,
    `  User ${s.cell.user}`,
    `  IdentityFile ${s.cell.clientKeyFile}`,
    `  ProxyJump dingo-jumpbox`,
    `Host *`,
    `  UserKnownHostsFile ${knownHosts}`,
    '',
  ].join('\n');
}

function middleLine(file: string): string {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'));
  return lines[Math.floor(lines.length / 2)]!;
}

function seedSpace(): { orgGuid: string; spaceGuid: string } {
  const org = loadScenario(SEED).initial.cf.orgs.find((o) => o.name === 'acme')!;
  return { orgGuid: org.guid, spaceGuid: org.spaces.find((sp) => sp.name === 'important-space-and-all-databases')!.guid };
}

/** The broker's clusterdata bucket some cases give with --clusterdata. */
export const CLUSTERDATA_BUCKET = 'dingo-clusterdata';

export interface CaseOptions {
  /**
   * The deleted instance's clusterdata record is in the bucket and given with --clusterdata,
   * and the restored cluster trusts no local login: only its recorded superuser gets in.
   */
  clusterdata?: boolean;
  /**
   * Where the run finds the platform's logs: the syslog folder given with --logs (the default),
   * or an Elasticsearch holding the same lines (--es-url, --es-index logs-*, ES_API_KEY).
   */
  logsIn?: 'files' | 'elasticsearch';
  /**
   * The S3 endpoint the run is given (default moto's), e.g. a fault proxy in front of moto.
   * The broker and the containers still reach moto itself.
   */
  s3Endpoint?: string;
  /** The port the run reaches the jumpbox's sshd at (default its own), e.g. a TCP proxy in front of it. */
  jumpboxPort?: number;
  /** Docker commands the cell holds once each (see ./cell-docker.ts). */
  holds?: CommandHold[];
}

/** The index the case's Elasticsearch holds the platform's syslog in. */
export const ES_INDEX = 'logs-platform';
/** The seed incident's syslog is from March 2016: the year its RFC 3164 lines do not carry. */
const SEED_LOGS_TIME = new Date('2016-03-18T00:00:00Z');

/** Oldest first: rotated files (`x.N`, `x.N.gz`, higher N older), then the others by name. */
function logFilesInOrder(dir: string): string[] {
  const rotation = (f: string): number => Number(/\.(\d+)(?:\.gz)?$/.exec(f)?.[1] ?? 0);
  return readdirSync(dir).sort((a, b) => rotation(b) - rotation(a) || a.localeCompare(b));
}

/**
 * The log folder as Logsearch indexes it, read now: one document per syslog line, timed by the
 * line (the seed files' year is 2016; other files' year is that of their modification time,
 * as the broker hook writes them live). Documents alternate between the two shapes the search
 * reads back: the whole line in `@raw`, or the payload in `message` with `syslog_hostname`,
 * `syslog_program` and `@timestamp` apart.
 */
export function logDocuments(dir: string): EsDocument[] {
  const seed = new Set(readdirSync(join(SEED, 'syslog')));
  const docs: EsDocument[] = [];
  for (const f of logFilesInOrder(dir)) {
    const file = join(dir, f);
    const raw = readFileSync(file);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const reference = seed.has(f) ? SEED_LOGS_TIME : statSync(file).mtime;
    text.split('\n').forEach((line, n) => {
      if (line === '') return;
      const s = parseSyslog(line, reference);
      const timestamp = (s?.time ?? reference).toISOString();
      const _id = `${f}#${n + 1}`;
      if (!s || docs.length % 2 === 0) docs.push({ _id, _source: { '@timestamp': timestamp, '@raw': line } });
      else docs.push({ _id, _source: { '@timestamp': timestamp, message: s.payload, syslog_hostname: s.host, syslog_program: s.tag } });
    });
  }
  return docs;
}

/** One recovery's world: a fresh new-instance GUID, node, container, cf/bosh state and logs. */
export async function prepareCase(s: LiveServers, label: string, opts: CaseOptions = {}): Promise<LiveCase> {
  const work = mkdtempSync(join(tmpdir(), `dingo-live-${label}-`));
  const newGuid = randomUUID();
  const nodeUuid = randomUUID();
  const container = `cf-${nodeUuid}`;
  const dataDir = join(STORE_ROOT, container, 'data');
  const tag = randomBytes(4).toString('hex');
  const newPasswords = {
    'dingo-admin': `new-admin-pw-${tag}-Rp55`,
    pgsuper: `new-superuser-pw-${tag}-Vb17`,
    appuser: `new-app-pw-${tag}-Kd29`,
  };
  const containerAwsKeyId = `AKIALIVETEST${tag.toUpperCase()}`;
  const containerAwsSecret = `live/${tag}/ContainerSecretAccessKey+Wal`;

  // The syslog the platform had when the user called: the seed incident's files.
  const logs = join(work, 'logs');
  mkdirSync(logs);
  for (const f of readdirSync(join(SEED, 'syslog'))) copyFileSync(join(SEED, 'syslog', f), join(logs, f));
  const logFile = join(logs, 'platform.log');
  writeFileSync(logFile, '');

  // The cell: docker state (the other tenant's container, the registrator), volumes on disk.
  const world: LiveCellWorld = {
    ip: CELL_IP,
    dockerVersion: '1.11.0',
    containers: {},
    files: {},
    s3Endpoint: s.moto.endpoint,
    databases: { [OLD_SYSID]: { ...OLD_ROLES } },
    localTrust: opts.clusterdata ? false : undefined,
    serving: {},
    history: [],
    ...(opts.holds ? { holds: opts.holds } : {}),
  };
  const daemon = fakeDaemon(world, resolve(import.meta.dirname, 'cell-docker.ts'));

  const broker: BrokerConfig = {
    dockerState: daemon.file,
    logFile,
    etcdUrl: s.etcd.url,
    s3Endpoint: s.moto.endpoint,
    storeRoot: STORE_ROOT,
    cellIp: CELL_IP,
    cellHost: CELL_HOST,
    nodeUuid,
    containerId: randomBytes(32).toString('hex'),
    hostPort: 32785,
    sysid: '6263019934712345126',
    env: {
      ETCD_HOST_PORT: s.etcd.hostPort,
      WAL_S3_BUCKET: BUCKET,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: containerAwsKeyId,
      AWS_SECRET_ACCESS_KEY: containerAwsSecret,
      ADMIN_USERNAME: 'dingo-admin',
      ADMIN_PASSWORD: newPasswords['dingo-admin'],
      SUPERUSER_USERNAME: 'pgsuper',
      SUPERUSER_PASSWORD: newPasswords.pgsuper,
      APPUSER_USERNAME: 'appuser',
      APPUSER_PASSWORD: newPasswords.appuser,
    },
  };
  const brokerFile = join(work, 'broker.json');
  writeFileSync(brokerFile, JSON.stringify(broker, null, 2));

  // cf and bosh as the seed incident has them; cf's next instance gets this case's GUID.
  const seed = loadScenario(SEED).initial;
  const fake: FakeClis = await setUpFakeClis({
    cf: { ...structuredClone(seed.cf), nextInstanceGuids: [newGuid] },
    bosh: structuredClone(seed.bosh),
  });

  // SSH: the cell IP of the logs reaches the cell sshd through the jumpbox; host keys pinned.
  const jumpboxPort = opts.jumpboxPort ?? s.gateway.port;
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${jumpboxPort} ${s.gateway.hostPublicKey}\n[127.0.0.1]:${s.cell.port} ${s.cell.hostPublicKey}\n`);
  const sshConfigFile = join(work, 'ssh_config');
  writeFileSync(sshConfigFile, sshConfig(s, knownHosts, jumpboxPort));

  // The user's answers (the seed incident's), nothing else: confirmations come from --yes.
  const answers = join(work, 'answers.yaml');
  writeFileSync(
    answers,
    'inputs:\n  org: acme\n  space: important-space-and-all-databases\n  serviceName: important-db\n  plan: cluster\n  apps: [their-app]\n',
  );

  if (opts.clusterdata) {
    await s.moto.createBucket(CLUSTERDATA_BUCKET).catch(() => undefined);
    // The record the broker wrote at provision (BRK structs.ClusterRecreationData).
    const { orgGuid, spaceGuid } = seedSpace();
    const record = {
      service_instance_name: 'important-db',
      instance_id: OLD_GUID,
      service_id: 'beb5973c-e1b2-11e5-a736-c7c0b526363d',
      plan_id: '1545e30e-6dc3-11e5-826a-6c4008a663f1',
      organization_guid: orgGuid,
      space_guid: spaceGuid,
      admin_credentials: { username: 'dingo-admin', password: OLD_ROLES['dingo-admin'] },
      superuser_credentials: { username: 'pgsuper', password: OLD_ROLES.pgsuper },
      app_credentials: { username: 'appuser', password: OLD_ROLES.appuser },
      allocated_port: 30001,
    };
    await s.s3.put({ bucket: CLUSTERDATA_BUCKET, key: `dingo-postgresql-clusterdata-backup-${OLD_GUID}.json` }, JSON.stringify(record));
  }

  // Or the same lines in Elasticsearch, behind an API key only the environment carries.
  let es: EsHttp | undefined;
  let esApiKey: string | undefined;
  if (opts.logsIn === 'elasticsearch') {
    // As Elasticsearch hands API keys out: base64 of "id:api_key".
    esApiKey = Buffer.from(`${randomBytes(10).toString('hex')}:${randomBytes(16).toString('base64url')}`).toString('base64');
    es = await startEsHttp({ index: ES_INDEX, apiKey: esApiKey, documents: () => logDocuments(logs) });
  }

  const stateDir = join(work, 'state');
  const liveArgs = [
    '--answers',
    answers,
    '--yes',
    ...(es ? ['--es-url', es.url, '--es-index', 'logs-*'] : ['--logs', logs]),
    '--ssh-config',
    sshConfigFile,
    '--s3-endpoint',
    opts.s3Endpoint ?? s.moto.endpoint,
    '--s3-region',
    'us-east-1',
    '--s3-path-style',
    '--cf-bin',
    join(fake.binDir, 'cf'),
    '--bosh-bin',
    join(fake.binDir, 'bosh'),
    '--docker-bin',
    FAKE_DOCKER,
    '--docker-host',
    daemon.host,
    '--container-store-root',
    STORE_ROOT,
    '--poll-interval',
    '0.05',
    // With the clusterdata record the evidence proves the name, and --yes may accept it; without it,
    // nothing in these logs proves which instance was important-db, so the operator chooses.
    ...(opts.clusterdata ? ['--clusterdata', `s3://${CLUSTERDATA_BUCKET}`] : ['--deleted-instance', OLD_GUID]),
  ];
  const env: Record<string, string> = {
    ...fake.env,
    FAKE_CF_HOOKS: resolve(import.meta.dirname, 'broker-hook.ts'),
    [BROKER_CONFIG_ENV]: brokerFile,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Only the keys the ssh config names: no agent.
    SSH_AUTH_SOCK: '',
    CI: 'true',
    ...(esApiKey ? { ES_API_KEY: esApiKey } : {}),
  };

  return {
    dir: work,
    newGuid,
    nodeUuid,
    container,
    dataDir,
    stateDir,
    newPasswords,
    secrets: {
      containerAwsKeyId,
      containerAwsSecret,
      operatorAwsSecret: MOTO_CREDENTIALS.secretAccessKey,
      passwords: [...Object.values(newPasswords), ...Object.values(OLD_ROLES)],
      privateKeyLines: [middleLine(s.gateway.clientKeyFile), middleLine(s.cell.clientKeyFile)],
      ...(esApiKey ? { esApiKey } : {}),
    },
    liveArgs,
    env,
    ...(es ? { es } : {}),
    readCf: () => fake.readCf(),
    readCell: () => JSON.parse(readFileSync(daemon.file, 'utf8')) as LiveCellWorld,
    async etcdGet(key: string): Promise<string | null> {
      const res = await fetch(`${s.etcd.url}/v2/keys${key}`);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`etcd GET ${key}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { node: { value?: string } }).node.value ?? null;
    },
    async cleanup(): Promise<void> {
      await es?.stop();
      await fake.cleanup();
      daemon.remove();
      rmSync(join(STORE_ROOT, container), { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
