/**
 * A live platform on loopback for the end-to-end tests of `dingo-recover recover` (and of any
 * command that recovers several instances in one run):
 *
 * - a jumpbox and a cell: two private sshd (test/support/sshd.ts), the cell user with
 *   passwordless sudo, reached through an OpenSSH client config (the cell IP of the logs
 *   mapped to 127.0.0.1:PORT, ProxyJump through the jumpbox, pinned known_hosts);
 * - the cell's docker: the fake Docker 1.11 client (test/support/fake-docker/docker) and the
 *   case's daemon it talks to, with live-cell behaviour (./cell-docker.ts), its data volumes on
 *   the REAL filesystem under the default cf-containers-broker root;
 * - a real etcd (v2 API) the containers' ETCD_HOST_PORT names, reached through the SSH forward;
 * - moto_server holding the deleted instances' archives (and another tenant's);
 * - fake `cf` and `bosh` processes (test/support/fake-cli) in the seed incident's worlds, the
 *   cf one with a broker hook (./broker-hook.ts) that creates each new instance on the parts above;
 * - the seed incident's syslog (plus the lines of the case's other deleted instances), and the
 *   file the broker and the new containers log to; given with --logs, or (case option logsIn:
 *   'elasticsearch') indexed line by line in a small Elasticsearch over HTTP (../es-http.ts)
 *   given with --es-url and an API key in the environment.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadScenario } from '../../../src/rehearsal/world.js';
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';
import { brokerHost, generationOfReleases } from '../../../src/rehearsal/broker-generation.js';
import { MOTO_CREDENTIALS } from '../moto.js';
import { setUpFakeClis, type FakeClis } from '../fake-cli/install.js';
import { startEsHttp, type EsHttp } from '../es-http.js';
import { FAKE_DOCKER, fakeDaemon, type FakeDaemon } from '../fake-docker/world.js';
import { BROKER_CONFIG_ENV, type BrokerConfig } from './broker-config.js';
import type { CaseOptions, CaseSecrets, LiveCase } from './case-types.js';
import { planNewInstances, uploadArchives, writeDeletedSyslog, type NewInstance } from './case-instances.js';
import type { LiveCellWorld } from './cell-docker.js';
import { PG15_BIN, stopCellPostgres } from './cell-postgres.js';
import { freshTestCluster } from '../fresh-cluster.js';
import { ES_INDEX, SEED, logDocuments } from './es-logs.js';
import { registratorContainer } from '../sample-cell.js';
import { OPERATOR_S3, STORE_ROOT, type LiveServers } from './servers.js';

export { STORE_ROOT, startLiveServers, type LiveServers } from './servers.js';
export { ES_INDEX } from './es-logs.js';
export type { CaseOptions, CaseSecrets, LiveCase } from './case-types.js';
import { BUCKET, CELL_HOST, CELL_IP, OLD_GUID, OLD_ROLES, SEED_DELETED, type OldInstance } from './shared.js';

function sshConfig(s: LiveServers, knownHosts: string, jumpboxPort: number): string {
  return [
    `Host dingo-jumpbox`,
    `  HostName 127.0.0.1`,
    `  Port ${String(jumpboxPort)}`,
    `  User ${s.gateway.user}`,
    `  IdentityFile ${s.gateway.clientKeyFile}`,
    `Host ${CELL_IP}`,
    `  HostName 127.0.0.1`,
    `  Port ${String(s.cell.port)}`,
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

/** The seed incident's org and space (where every deleted instance lived). */
export function seedSpace(): { orgGuid: string; spaceGuid: string } {
  const org = loadScenario(SEED).initial.cf.orgs.find((o) => o.name === 'acme')!;
  return { orgGuid: org.guid, spaceGuid: org.spaces.find((sp) => sp.name === 'important-space-and-all-databases')!.guid };
}

/** The broker's clusterdata bucket some cases give with --clusterdata. */
export const CLUSTERDATA_BUCKET = 'dingo-clusterdata';

/** The seed incident's answers: org, space, the service to recreate, its plan, its apps. */
export const SEED_ANSWERS =
  'inputs:\n  org: acme\n  space: important-space-and-all-databases\n  serviceName: important-db\n  plan: cluster\n  apps: [their-app]\n';

/** The syslog the platform had when the user called: the seed's files, the other deleted instances' lines. */
function writeLogs(work: string, deleted: OldInstance[]): { logs: string; logFile: string } {
  const logs = join(work, 'logs');
  mkdirSync(logs);
  for (const f of readdirSync(join(SEED, 'syslog'))) copyFileSync(join(SEED, 'syslog', f), join(logs, f));
  writeDeletedSyslog(logs, deleted, seedSpace());
  const logFile = join(logs, 'platform.log');
  writeFileSync(logFile, '');
  return { logs, logFile };
}

/** The cell's docker: no container yet; it knows what restoring each deleted instance's archive holds. */
function cellDaemon(s: LiveServers, deleted: OldInstance[], opts: CaseOptions, pgCluster: string | undefined): Promise<FakeDaemon> {
  const world: LiveCellWorld = {
    ip: CELL_IP,
    dockerVersion: '1.11.0',
    containers: {},
    files: {},
    s3Endpoint: s.moto.endpoint,
    databases: Object.fromEntries(deleted.map((d) => [d.sysid, { ...d.roles }])),
    holdings: Object.fromEntries(deleted.map((d) => [d.sysid, d.holds])),
    localTrust: opts.clusterdata ? false : undefined,
    serving: {},
    history: [],
    ...(opts.holds ? { holds: opts.holds } : {}),
    ...(pgCluster ? { realPostgres: { cluster: pgCluster } } : {}),
  };
  for (const c of [registratorContainer(!opts.registratorDown), ...(opts.containers ?? [])]) world.containers[c.name] = c;
  return fakeDaemon(world, resolve(import.meta.dirname, 'cell-docker.ts'));
}

/** The record the broker wrote at provision (BRK structs.ClusterRecreationData) of the seed instance. */
async function putClusterdata(s: LiveServers): Promise<void> {
  await s.moto.createBucket(CLUSTERDATA_BUCKET).catch(() => undefined);
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

/** The same lines in Elasticsearch, behind an API key only the environment carries. */
async function startEs(logs: string): Promise<{ es: EsHttp; esApiKey: string }> {
  // As Elasticsearch hands API keys out: base64 of "id:api_key".
  const esApiKey = Buffer.from(`${randomBytes(10).toString('hex')}:${randomBytes(16).toString('base64url')}`).toString('base64');
  const es = await startEsHttp({ index: ES_INDEX, apiKey: esApiKey, documents: () => logDocuments(logs) });
  return { es, esApiKey };
}

/** SSH: the cell IP of the logs reaches the cell sshd through the jumpbox; host keys pinned. */
function writeSshConfig(s: LiveServers, work: string, jumpboxPort: number): string {
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(
    knownHosts,
    `[127.0.0.1]:${String(jumpboxPort)} ${s.gateway.hostPublicKey}\n[127.0.0.1]:${String(s.cell.port)} ${s.cell.hostPublicKey}\n`,
  );
  const file = join(work, 'ssh_config');
  writeFileSync(file, sshConfig(s, knownHosts, jumpboxPort));
  return file;
}

interface PlatformParts {
  logs: string;
  es: EsHttp | undefined;
  sshConfigFile: string;
  fake: FakeClis;
  daemon: FakeDaemon;
}

function platformArgsOf(s: LiveServers, p: PlatformParts, opts: CaseOptions): string[] {
  return [
    ...(p.es ? ['--es-url', p.es.url, '--es-index', 'logs-platform-*'] : ['--logs', p.logs]),
    '--ssh-config',
    p.sshConfigFile,
    '--s3-endpoint',
    opts.s3Endpoint ?? s.moto.endpoint,
    '--s3-region',
    'us-east-1',
    '--s3-path-style',
    '--cf-bin',
    join(p.fake.binDir, 'cf'),
    '--bosh-bin',
    join(p.fake.binDir, 'bosh'),
    '--docker-bin',
    FAKE_DOCKER,
    '--docker-host',
    p.daemon.host,
    '--container-store-root',
    STORE_ROOT,
    '--poll-interval',
    '0.05',
  ];
}

/** The environment of every dingo-recover process of a case: the fake CLIs, the broker, the operator's AWS keys. */
function runEnv(fake: FakeClis, brokerFile: string, esApiKey: string | undefined): Record<string, string> {
  return {
    ...fake.env,
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
}

/** etcd v2 GET: the value, or null when the key does not exist. */
async function etcdGet(s: LiveServers, key: string): Promise<string | null> {
  const res = await fetch(`${s.etcd.url}/v2/keys${key}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`etcd GET ${key}: ${String(res.status)} ${await res.text()}`);
  return ((await res.json()) as { node: { value?: string } }).node.value ?? null;
}

/** Every secret of the case: the containers' AWS keys, the operator's, every instance's passwords, the SSH keys. */
function caseSecrets(
  s: LiveServers,
  containerAws: { keyId: string; secret: string },
  instances: NewInstance[],
  deleted: OldInstance[],
  esApiKey: string | undefined,
  others: string[],
): CaseSecrets {
  return {
    containerAwsKeyId: containerAws.keyId,
    containerAwsSecret: containerAws.secret,
    operatorAwsSecret: MOTO_CREDENTIALS.secretAccessKey,
    passwords: [...instances.flatMap((i) => Object.values(i.passwords)), ...deleted.flatMap((d) => Object.values(d.roles))],
    privateKeyLines: [middleLine(s.gateway.clientKeyFile), middleLine(s.cell.clientKeyFile)],
    ...(esApiKey ? { esApiKey } : {}),
    ...(others.length ? { others } : {}),
  };
}

/** The BOSH world with its Dingo deployment on `release` (default: as it is, the seed's 0.7.2). */
function withDingoRelease(bosh: BoshWorld, release: string | undefined): BoshWorld {
  if (release === undefined) return bosh;
  for (const d of bosh.deployments)
    d.releases = d.releases?.map((r) => (r.startsWith('dingo-postgresql/') ? `dingo-postgresql/${release}` : r));
  return bosh;
}

/** A case's platform: deleted instances' archives and logs, the cell, the broker's plan for each new instance, cf and bosh. */
export async function prepareCase(s: LiveServers, label: string, opts: CaseOptions = {}): Promise<LiveCase> {
  const work = mkdtempSync(join(tmpdir(), `dingo-live-${label}-`));
  const deleted = opts.deleted ?? [SEED_DELETED];
  await uploadArchives(s.moto.endpoint, OPERATOR_S3, deleted);
  const tag = randomBytes(4).toString('hex');
  const containerAws = { keyId: `AKIALIVETEST${tag.toUpperCase()}`, secret: `live/${tag}/ContainerSecretAccessKey+Wal` };
  const { logs, logFile } = writeLogs(work, deleted);
  // The fresh PostgreSQL 15 cluster each container's real server starts as a copy of: the cell's daemon starts one synchronously.
  const pgCluster = opts.realPostgres ? join(work, 'pg15-fresh') : undefined;
  if (pgCluster) await freshTestCluster(PG15_BIN, pgCluster);
  const daemon = await cellDaemon(s, deleted, opts, pgCluster);
  const { instances, configs } = planNewInstances(opts.newInstances ?? deleted.length, STORE_ROOT, {
    ETCD_HOST_PORT: s.etcd.hostPort,
    WAL_S3_BUCKET: opts.containerWalBucket ?? BUCKET,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: containerAws.keyId,
    AWS_SECRET_ACCESS_KEY: containerAws.secret,
  });
  // cf and bosh as the seed incident has them, bosh's Dingo release the case's; cf hands out the case's instance GUIDs in order.
  const seed = loadScenario(SEED).initial;
  const bosh = withDingoRelease(structuredClone(seed.bosh), opts.dingoRelease);
  const brokerFile = join(work, 'broker.json');
  const broker: BrokerConfig = {
    generation: generationOfReleases(bosh.deployments),
    routerHost: brokerHost(bosh.deployments),
    dockerState: daemon.file,
    logFile,
    etcdUrl: s.etcd.url,
    s3Endpoint: s.moto.endpoint,
    storeRoot: STORE_ROOT,
    cellIp: CELL_IP,
    cellHost: CELL_HOST,
    instances: configs,
    ...(opts.forgedBucket ? { forgedBucket: opts.forgedBucket } : {}),
    ...(opts.forgedOnly ? { forgedOnly: true } : {}),
  };
  writeFileSync(brokerFile, JSON.stringify(broker, null, 2));

  const cf = (opts.cfWorld ?? ((w: CfWorld) => w))(structuredClone(seed.cf));
  const fake = await setUpFakeClis({
    cf: { ...cf, nextInstanceGuids: instances.map((i) => i.guid) },
    bosh,
    cfHooks: resolve(import.meta.dirname, 'broker-hook.ts'),
  });
  const sshConfigFile = writeSshConfig(s, work, opts.jumpboxPort ?? s.gateway.port);
  // The user's answers, nothing else: confirmations come from --yes.
  const answersFile = join(work, 'answers.yaml');
  writeFileSync(answersFile, opts.answers ?? SEED_ANSWERS);
  if (opts.clusterdata) await putClusterdata(s);
  const { es, esApiKey } = opts.logsIn === 'elasticsearch' ? await startEs(logs) : { es: undefined, esApiKey: undefined };

  const platformArgs = platformArgsOf(s, { logs, es, sshConfigFile, fake, daemon }, opts);
  const liveArgs = [
    '--answers',
    answersFile,
    '--yes',
    ...platformArgs,
    // With the clusterdata record the evidence proves the name, and --yes may accept it; without it,
    // nothing in these logs proves which instance was important-db, so the operator chooses.
    ...(opts.clusterdata ? ['--clusterdata', `s3://${CLUSTERDATA_BUCKET}`] : ['--deleted-instance', OLD_GUID]),
  ];
  const env = runEnv(fake, brokerFile, esApiKey);
  const first = instances[0]!;
  return {
    dir: work,
    newGuid: first.guid,
    nodeUuid: first.nodeUuid,
    container: first.container,
    dataDir: first.dataDir,
    newPasswords: first.passwords,
    instances,
    deleted,
    stateDir: join(work, 'state'),
    secrets: caseSecrets(s, containerAws, instances, deleted, esApiKey, opts.otherSecrets ?? []),
    liveArgs,
    platformArgs,
    answersFile,
    env,
    cfConfig: fake.cfConfig,
    dockerHost: daemon.host,
    ...(es ? { es } : {}),
    readCf: () => fake.readCf(),
    readCell: () => JSON.parse(readFileSync(daemon.file, 'utf8')) as LiveCellWorld,
    etcdGet: (key) => etcdGet(s, key),
    async cleanup(): Promise<void> {
      // First: the cell's real servers, by the PIDs its state recorded, whatever else failed.
      if (existsSync(daemon.file)) stopCellPostgres((JSON.parse(readFileSync(daemon.file, 'utf8')) as LiveCellWorld).postgres ?? {});
      await es?.stop();
      await fake.cleanup();
      daemon.remove();
      for (const i of instances) rmSync(join(STORE_ROOT, i.container), { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
