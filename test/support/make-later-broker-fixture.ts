/**
 * Writes fixtures/later-broker, the bundled rehearsal of a recovery on a platform of Dingo's later
 * releases (v0.9 and on, here 0.10.1 of February 2017): the broker that sizes clusters by
 * `node-count` (two nodes without it, whatever the plan) and logs as `dingo-postgresql-broker`,
 * containers of the later image (`dingotiles/dingo-postgresql95`) whose lines carry their scope's
 * first six characters (`${PATRONI_SCOPE:0:6}-startup> `), the offering named `dingo-postgresql`,
 * four cells in two zones (the v0.9 minimum), and registrator from the image the release's job names
 * as its alternative. Formats: shared/domain/dingo-postgresql.md §3 and the broker's sources
 * (scheduler/scheduler.go, scheduler/step/add_node.go, scheduler/step/remove_random_node.go,
 * broker/provision_endpoint.go). Deterministic; run from the repository's root:
 *
 *   npx tsx test/support/make-later-broker-fixture.ts fixtures/later-broker
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

const DEPLOYMENT = 'dingo-postgresql-7c1e9a3b5d2f4e6a8b01';
const PARTITION = '5d8e2a7c9b1f3e6a4c02';
const ROUTER_HOST = `0.router-partition-${PARTITION}.${DEPLOYMENT}`;
const BUCKET = 'initech-dingo-wal';
const ETCD = '10.58.112.149:4001';
const SERVICE_ID = 'beb5973c-e1b2-11e5-a736-c7c0b526363d';
const SOLO = '1545e30e-6dc3-11e5-826a-6c4008a663f0';
const CLUSTER = '1545e30e-6dc3-11e5-826a-6c4008a663f1';
const IMAGE = 'dingotiles/dingo-postgresql95:latest';
const REGISTRATOR = 'gliderlabs/registrator:latest';

interface Cell {
  ip: string;
  job: string;
  index: number;
  vm: string;
  az: string;
}

const CELLS: Cell[] = [
  { ip: '10.58.112.150', job: `cell_z1-partition-${PARTITION}`, index: 0, vm: '7b2e4c91-3d5a-4f6b-8c1d-2e9f0a3b4c5d', az: 'z1' },
  { ip: '10.58.112.152', job: `cell_z1-partition-${PARTITION}`, index: 1, vm: '0c8d1e2f-4a5b-4c6d-9e7f-1a2b3c4d5e6f', az: 'z1' },
  { ip: '10.58.112.151', job: `cell_z2-partition-${PARTITION}`, index: 0, vm: 'e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a7b8', az: 'z2' },
  { ip: '10.58.112.153', job: `cell_z2-partition-${PARTITION}`, index: 1, vm: '5a6b7c8d-9e0f-4a1b-b2c3-d4e5f6a7b8c9', az: 'z2' },
];
const cellHost = (c: Cell): string => `${c.index}.${c.job}.${DEPLOYMENT}`;

const ORG = { name: 'initech', guid: 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6' };
const SPACE = { name: 'billing', guid: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f' };
const APP = { name: 'invoicer', guid: '8e9f0a1b-2c3d-4e5f-9a6b-7c8d9e0f1a2b' };
const USER = { guid: '5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c', name: 'milton@initech.example', username: 'milton' };

/** The deleted instance: ledger-db, plan cluster, two nodes (no node-count: the broker's default). */
const LEDGER = {
  name: 'ledger-db',
  guid: 'a7d3c9e1-5b2f-4e8a-9c6d-0f1e2d3c4b5a',
  nodes: [
    { uuid: '2e5b8f1c-7a4d-4c9e-b3f6-8d1a2c5e7f90', cell: CELLS[0]!, port: 32771 },
    { uuid: '9c4e7a2d-1f8b-4e5c-a6d3-b9e2f1c8a7d4', cell: CELLS[2]!, port: 32769 },
  ],
  sysid: '6389146221234567810',
  createdAt: Date.UTC(2017, 0, 16, 10, 20, 4),
  deletedAt: Date.UTC(2017, 1, 21, 16, 44, 5),
};

/** Another tenant's live instance on the same cells: never touched. */
const DECOY = {
  name: 'portal-db',
  guid: 'f0e1d2c3-b4a5-4968-8776-655443322110',
  node: { uuid: '6d7e8f90-a1b2-4c3d-9e4f-5a6b7c8d9e0f', cell: CELLS[0]!, port: 32785 },
  sysid: '6391122334455667788',
};

/** The new instance the recovery creates: its GUID and the node the broker places (cell_z2/0). */
const NEW = { guid: 'b8e4d0f2-6c3a-4f9b-8d7e-1a0f2e3d4c5b', node: 'c5d6e7f8-a9b0-4c1d-8e2f-3a4b5c6d7e8f', cell: CELLS[2]!, port: 32790 };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOUR = 3_600_000;

function syslogTime(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}

function hex(seed: string, n = 32): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, n);
}

function seg(n: number): string {
  return `0000000100000000${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

function lager(ms: number, message: string, data: Record<string, unknown>): string {
  const ts = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}${hex(`${ms}${message}`, 6).replace(/[a-f]/g, '7')}`;
  return JSON.stringify({
    timestamp: ts,
    source: 'dingo-postgresql-broker',
    message: `dingo-postgresql-broker.${message}`,
    log_level: 1,
    data,
  });
}

function waleTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1000).padStart(6, '0')}-00`;
}

interface Line {
  t: number;
  text: string;
}

const lines: Line[] = [];
const at = (t: number, host: string, tag: string, payload: string): void => {
  lines.push({ t, text: `${syslogTime(t)} ${host} ${tag}:  ${payload}` });
};
const broker = (t: number, message: string, data: Record<string, unknown>): void => {
  at(t, ROUTER_HOST, 'broker.stdout.log', lager(t, message, data));
};
const ccb = (t: number, c: Cell, text: string): void => {
  at(t, cellHost(c), 'cf-containers-broker.log', `I, [${new Date(t).toISOString().replace('Z', '000')} #4242]  INFO -- : ${text}`);
};

/** What the platform logged of a node's creation: cf-containers-broker's request and create options, then the container's startup. */
function nodeCreated(
  t: number,
  guid: string,
  node: { uuid: string; cell: Cell; port: number },
  plan: string,
  space: string,
  org: string,
): void {
  const name = `cf-${node.uuid}`;
  const body = JSON.stringify({
    service_id: SERVICE_ID,
    plan_id: plan,
    organization_guid: org,
    space_guid: space,
    parameters: { PATRONI_SCOPE: guid, NODE_ID: node.uuid },
  });
  const headers = {
    CONTENT_LENGTH: String(body.length),
    CONTENT_TYPE: 'application/json',
    REQUEST_METHOD: 'PUT',
    REQUEST_PATH: `/v2/service_instances/${node.uuid}`,
    HTTP_AUTHORIZATION: '[PRIVATE DATA HIDDEN]',
    HTTP_X_BROKER_API_VERSION: '2.10',
  };
  ccb(t + 150, node.cell, `  Request: ${JSON.stringify({ headers, body })}`);
  ccb(t + 200, node.cell, `Creating Docker container \`${name}'...`);
  ccb(
    t + 201,
    node.cell,
    `+-> Create options: {"name"=>"${name}", "Hostname"=>"", "Image"=>"${IMAGE}", "Env"=>["PATRONI_SCOPE=${guid}", "NODE_ID=${node.uuid}"], "Labels"=>{"plan_id"=>"${plan}", "instance_id"=>"${node.uuid}"}}`,
  );
  ccb(t + 900, node.cell, `Starting Docker container \`${name}'...`);
  const tag = guid.slice(0, 6);
  at(t + 3000, node.cell.vm, `docker/${name}`, `${tag}-startup> public :5432 address ${node.cell.ip}:${node.port}`);
  at(t + 3001, node.cell.vm, `docker/${name}`, `${tag}-startup> public :8008 address ${node.cell.ip}:${node.port + 1}`);
}

/** wal-e archiving one segment, as the leader's container logs it. */
function walPushed(t: number, guid: string, node: { uuid: string; cell: Cell }, n: number, pid: number): void {
  const tag = `${guid.slice(0, 6)}-patroni> `;
  const prefix = `backups/${guid}/wal/`;
  const key = `s3://${BUCKET}/${prefix}wal_005/${seg(n)}.lzo`;
  const c = (dt: number, text: string): void => {
    at(t + dt, node.cell.vm, `docker/cf-${node.uuid}`, tag + text);
  };
  c(0, 'wal_e.worker.upload INFO     MSG: begin archiving a file');
  c(0, `        DETAIL: Uploading "pg_xlog/${seg(n)}" to "${key}".`);
  c(0, `        STRUCTURED: time=${waleTime(t)} pid=${pid} action=push-wal key=${key} prefix=${prefix} seg=${seg(n)} state=begin`);
  c(700, 'wal_e.worker.upload INFO     MSG: completed archiving to a file');
  c(700, `        DETAIL: Archiving to "${key}" complete at 1843.2KiB/s.`);
  c(
    700,
    `        STRUCTURED: time=${waleTime(t + 700)} pid=${pid} action=push-wal key=${key} prefix=${prefix} rate=1843.2 seg=${seg(n)} state=complete`,
  );
}

function baseBackup(t: number, guid: string, node: { uuid: string; cell: Cell }, n: number): void {
  const base = `s3://${BUCKET}/backups/${guid}/wal/basebackups_005/base_${seg(n)}_00000040`;
  const c = (dt: number, text: string): void => {
    at(t + dt, node.cell.vm, `docker/cf-${node.uuid}`, `${guid.slice(0, 6)}-backup> ${text}`);
  };
  c(0, `        DETAIL: Uploading to ${base}/extended_version.txt.`);
  c(1000, `        DETAIL: Uploading to "${base}/tar_partitions/part_00000000.tar.lzo".`);
}

// The archive of ledger-db as S3 holds it, built beside its lines.
const s3: Record<string, { size: number; etag: string; lastModified: string; body?: string }> = {};
function put(guid: string, rel: string, t: number, size: number, body?: string): void {
  const key = `backups/${guid}/wal/${rel}`;
  s3[key] = {
    size: body === undefined ? size : Buffer.byteLength(body),
    etag: hex(key),
    lastModified: new Date(t).toISOString(),
    ...(body === undefined ? {} : { body }),
  };
}
const VERSION_TXT = 'PostgreSQL 9.5.5 on x86_64-pc-linux-gnu, compiled by gcc (Debian 4.9.2-10) 4.9.2, 64-bit';
function archiveBase(guid: string, t: number, n: number, expanded: number): void {
  const base = `basebackups_005/base_${seg(n)}_00000040`;
  put(guid, `${base}/extended_version.txt`, t, 0, VERSION_TXT);
  put(guid, `${base}/tar_partitions/part_00000000.tar.lzo`, t + 1000, 3_400_000 + n * 91_000);
  put(guid, `wal_005/${seg(n)}.00000028.backup.lzo`, t + 1800, 248);
  const sentinel = {
    wal_segment_backup_stop: seg(n),
    wal_segment_offset_backup_stop: '00000248',
    expanded_size_bytes: expanded,
    spec: { base_prefix: '/data/postgres0', tablespaces: [] },
  };
  put(guid, `${base}_backup_stop_sentinel.json`, t + 2000, 0, JSON.stringify(sentinel));
}

function ledgerLife(): { lastWal: number; lastSeg: string } {
  const g = LEDGER.guid;
  const t0 = LEDGER.createdAt;
  const session = '1187';
  broker(t0, 'provision.start', { 'instance-id': g, session });
  broker(t0 + 6, 'provision.done', { 'instance-id': g, session });
  broker(t0 + 40, 'scheduler.run-cluster', {
    'instance-id': g,
    'steps-count': 4,
    steps: ['AddNode', 'AddNode', 'WaitForAllMembers', 'WaitForLeader'],
    features: { NodeCount: 2, CellGUIDs: null, CloneFromServiceName: '' },
  });
  LEDGER.nodes.forEach((node, k) => {
    const t = t0 + 1000 + k * 15_000;
    broker(t, 'add-node.perform', { 'instance-id': g });
    broker(t + 100, 'add-node.perform.sorted-backends.selected', {
      uri: `http://${node.cell.ip}:8888`,
      guid: node.cell.vm,
      az: node.cell.az,
    });
    nodeCreated(t, g, node, CLUSTER, SPACE.guid, ORG.guid);
    broker(t + 9000, 'add-node.perform.success', { member: node.uuid });
  });
  const leader = LEDGER.nodes[0]!;
  broker(t0 + 48_000, 'provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': g, name: LEDGER.name, session });
  at(
    t0 + 49_000,
    leader.cell.vm,
    `docker/cf-${leader.uuid}`,
    `${g.slice(0, 6)}-patroni> upload: tmp/sysids/sysid to s3://${BUCKET}/backups/${g}/wal/sysids/sysid`,
  );
  put(g, 'sysids/sysid', t0 + 49_000, 0, `${LEDGER.sysid}\n`);
  walPushed(t0 + 50_000, g, leader, 1, 231);
  put(g, `wal_005/${seg(1)}.lzo`, t0 + 50_700, 16_480);
  baseBackup(t0 + 70_000, g, leader, 2);
  archiveBase(g, t0 + 70_000, 2, 21_059_584);
  walPushed(t0 + 72_000, g, leader, 2, 302);
  put(g, `wal_005/${seg(2)}.lzo`, t0 + 72_700, 16_733);
  // A segment every 21 hours or so (archive_timeout is 10 min, but the database is quiet at night);
  // a base backup at 01:00 on 20 February.
  let n = 3;
  let t = t0 + 21 * HOUR;
  const backupAt = Date.UTC(2017, 1, 20, 1, 0, 12);
  let backedUp = false;
  while (t < LEDGER.deletedAt - 6 * 60_000) {
    if (!backedUp && t > backupAt) {
      baseBackup(backupAt, g, leader, n);
      archiveBase(g, backupAt, n, 48_231_424);
      walPushed(backupAt + 2000, g, leader, n, 400 + n);
      put(g, `wal_005/${seg(n)}.lzo`, backupAt + 2700, 16_902);
      backedUp = true;
      n += 1;
    }
    walPushed(t, g, leader, n, 200 + n);
    put(g, `wal_005/${seg(n)}.lzo`, t + 700, 180_000 + ((n * 7919) % 1_900_000));
    n += 1;
    t += 21 * HOUR + ((n * 3571) % 40) * 60_000;
  }
  // The last segment, archived six minutes before the deletion: later writes were never archived.
  const last = LEDGER.deletedAt - 6 * 60_000 + 12_000;
  walPushed(last, g, leader, n, 200 + n);
  put(g, `wal_005/${seg(n)}.lzo`, last + 700, 412_118);
  return { lastWal: last + 700, lastSeg: seg(n) };
}

function ledgerDeleted(): void {
  const g = LEDGER.guid;
  const t = LEDGER.deletedAt;
  const session = '2214';
  broker(t, 'deprovision.start', { instanceID: g, session });
  broker(t + 300, 'scheduler.stop-cluster', { 'instance-id': g, 'steps-count': 2, steps: ['RemoveRandomNode', 'RemoveRandomNode'] });
  LEDGER.nodes.forEach((node, k) => {
    const tn = t + 600 + k * 900;
    broker(tn, 'remove-random-node.perform', { 'instance-id': g, 'node-uuid': node.uuid, cell: node.cell.vm });
    ccb(tn + 100, node.cell, `Destroying Docker container \`cf-${node.uuid}'...`);
  });
  broker(t + 2500, 'remove-cluster-assignment', { clusterID: g, session });
  const confd = (dt: number, text: string): void => {
    at(
      t + dt,
      ROUTER_HOST,
      'confd.stderr.log',
      `${new Date(t + dt).toISOString().slice(0, 19)}Z 9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a confd[3811]: INFO ${text}`,
    );
  };
  confd(
    3000,
    '/var/vcap/sys/run/router/haproxy.cfg has md5sum 4c1e9a2b7d3f5e8a6c0b1d2e3f4a5b6c should be 8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b',
  );
  confd(3001, 'Target config /var/vcap/sys/run/router/haproxy.cfg out of sync');
  confd(4000, 'Target config /var/vcap/sys/run/router/haproxy.cfg has been updated');
}

function decoyLife(): void {
  const g = DECOY.guid;
  const t0 = Date.UTC(2017, 0, 9, 14, 5, 0);
  broker(t0, 'provision.start', { 'instance-id': g, session: '1002' });
  broker(t0 + 6, 'provision.done', { 'instance-id': g, session: '1002' });
  broker(t0 + 40, 'scheduler.run-cluster', {
    'instance-id': g,
    'steps-count': 3,
    steps: ['AddNode', 'WaitForAllMembers', 'WaitForLeader'],
    features: { NodeCount: 1, CellGUIDs: null, CloneFromServiceName: '' },
  });
  broker(t0 + 1000, 'add-node.perform', { 'instance-id': g });
  nodeCreated(t0 + 1000, g, DECOY.node, SOLO, '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '7e8f9a0b-1c2d-4e3f-a4b5-c6d7e8f9a0b1');
  broker(t0 + 10_000, 'add-node.perform.success', { member: DECOY.node.uuid });
  put(g, 'sysids/sysid', t0 + 49_000, 0, `${DECOY.sysid}\n`);
  walPushed(t0 + 50_000, g, DECOY.node, 1, 233);
  put(g, `wal_005/${seg(1)}.lzo`, t0 + 50_700, 16_384);
}

function event(
  type: string,
  t: number,
  target: { guid: string; type: string; name: string },
  request: Record<string, unknown>,
): Record<string, unknown> {
  return {
    guid: `${hex(`${type}${t}`, 8)}-${hex(`${t}a`, 4)}-4${hex(`${t}b`, 3)}-a${hex(`${t}c`, 3)}-${hex(`${t}d`, 12)}`,
    type,
    timestamp: new Date(t).toISOString().replace(/\.\d+Z$/, 'Z'),
    actor: { guid: USER.guid, type: 'user', name: USER.name, username: USER.username },
    target,
    data: { request },
    spaceGuid: SPACE.guid,
    orgGuid: ORG.guid,
  };
}

function scenario(lastWal: number, lastSeg: string): Record<string, unknown> {
  const instance = { guid: LEDGER.guid, type: 'service_instance', name: LEDGER.name };
  const binding = { guid: '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a', type: 'service_binding', name: '' };
  const registrator = (c: Cell): Record<string, unknown> => ({
    id: hex(`registrator${c.ip}`, 64),
    name: 'registrator',
    image: REGISTRATOR,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    mounts: [{ Source: '/var/vcap/sys/run/docker/docker.sock', Destination: '/tmp/docker.sock', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: '2017-01-05T08:00:41.000000000Z',
    finishedAt: '0001-01-01T00:00:00Z',
    logs: [],
    pg: { ready: false, inRecovery: false, pollsUntilPromoted: 0, roles: {} },
  });
  const decoyName = `cf-${DECOY.node.uuid}`;
  const decoyData = `/var/vcap/store/cf-containers-broker/${decoyName}/data`;
  const cells = Object.fromEntries(
    CELLS.map((c) => [
      c.ip,
      {
        ip: c.ip,
        dockerVersion: '1.11.0',
        files: c === DECOY.node.cell ? { [decoyData]: ['postgres0', 'wal-e'] } : {},
        containers: {
          registrator: registrator(c),
          ...(c === DECOY.node.cell
            ? {
                [decoyName]: {
                  id: hex(decoyName, 64),
                  name: decoyName,
                  image: IMAGE,
                  env: [
                    `ETCD_HOST_PORT=${ETCD}`,
                    'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7INITECH1',
                    'AWS_SECRET_ACCESS_KEY=q8Wm2Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9INITECHSECRET1',
                    `WAL_S3_BUCKET=${BUCKET}`,
                    'AWS_REGION=us-east-1',
                    `PATRONI_SCOPE=${DECOY.guid}`,
                    `NODE_ID=${DECOY.node.uuid}`,
                    'SUPERUSER_USERNAME=postgres',
                    'SUPERUSER_PASSWORD=umbrella-superuser-pw-3390',
                  ],
                  mounts: [{ Source: decoyData, Destination: '/data', Mode: '', RW: true }],
                  running: true,
                  exitCode: 0,
                  startedAt: '2017-01-09T14:05:01.000000000Z',
                  finishedAt: '0001-01-01T00:00:00Z',
                  logs: [],
                  pg: { ready: true, inRecovery: false, pollsUntilPromoted: 0, roles: { postgres: 'umbrella-superuser-pw-3390' } },
                },
              }
            : {}),
        },
      },
    ]),
  );
  return {
    title: 'Deleted service on a later Dingo release: initech/billing ledger-db, 21 February 2017',
    description: [
      `On 21 February 2017 at 16:44:05 UTC ${USER.name} ran \`cf delete-service ${LEDGER.name}\` in org ${ORG.name}, space ${SPACE.name}.`,
      `The platform runs Dingo PostgreSQL 0.10.1: the broker (dingo-postgresql-broker) sizes clusters by node-count, two nodes without it,`,
      `and ledger-db (${LEDGER.guid}, plan cluster) had two: ${LEDGER.nodes.map((n) => `cf-${n.uuid} on ${n.cell.ip}`).join(', ')}.`,
      `Its archive is s3://${BUCKET}/backups/${LEDGER.guid}/wal/ (base backups at ${seg(2)} and on 20 February at 01:00, WAL up to ${lastSeg} at ${new Date(lastWal).toISOString()}).`,
      `Four cells in two zones, registrator from ${REGISTRATOR}, containers of ${IMAGE}; cf CLI 6.25.0, Cloud Controller API 2.75.0 (v2 only), BOSH CLI v1.`,
      `Another tenant's portal-db (${DECOY.guid}) runs on ${DECOY.node.cell.ip} as cf-${DECOY.node.uuid}.`,
      `Recreating the service gives ${NEW.guid}, placed on ${NEW.cell.ip} as cf-${NEW.node}; created without node-count it would get a second node on another cell.`,
      '',
    ].join('\n'),
    world: {
      clock: '2017-02-21T17:30:00.000Z',
      cf: {
        version: '6.25.0+787326d.2017-02-01',
        api: { url: 'https://api.sys.initech.example.com', version: '2.75.0', v2: true, v3: false },
        user: 'admin',
        loggedIn: true,
        target: { org: null, space: null },
        orgs: [
          {
            name: ORG.name,
            guid: ORG.guid,
            spaces: [
              {
                name: SPACE.name,
                guid: SPACE.guid,
                apps: [{ name: APP.name, guid: APP.guid, state: 'started', instances: 2, boundServiceGuids: [] }],
              },
              { name: 'ops', guid: '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d', apps: [] },
            ],
          },
          {
            name: 'umbrella',
            guid: '7e8f9a0b-1c2d-4e3f-a4b5-c6d7e8f9a0b1',
            spaces: [
              {
                name: 'prod',
                guid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
                apps: [{ name: 'portal', guid: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e', state: 'started', boundServiceGuids: [DECOY.guid] }],
              },
            ],
          },
        ],
        offerings: [
          {
            label: 'dingo-postgresql',
            guid: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
            brokerId: SERVICE_ID,
            broker: 'dingo-postgresql',
            description: 'PostgreSQL 9.5 service with continuous archives, by Dingo Tiles',
            plans: [
              { name: 'solo', guid: '9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b', brokerId: SOLO, description: 'One PostgreSQL node' },
              {
                name: 'cluster',
                guid: '0f1a2b3c-4d5e-4f6a-9b7c-8d9e0f1a2b3c',
                brokerId: CLUSTER,
                description: 'PostgreSQL leader and replica',
              },
            ],
          },
        ],
        instances: [
          {
            guid: DECOY.guid,
            name: DECOY.name,
            spaceGuid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
            offering: 'dingo-postgresql',
            plan: 'solo',
            createdAt: '2017-01-09T14:05:00Z',
            lastOperation: {
              type: 'create',
              state: 'succeeded',
              description: '',
              createdAt: '2017-01-09T14:05:00Z',
              updatedAt: '2017-01-09T14:06:10Z',
            },
            pollsUntilReady: 0,
          },
        ],
        nextInstanceGuids: [NEW.guid],
        pollsPerCreate: 2,
        events: [
          event('audit.service_instance.create', LEDGER.createdAt - 2000, instance, {
            name: LEDGER.name,
            service_plan_guid: '0f1a2b3c-4d5e-4f6a-9b7c-8d9e0f1a2b3c',
            space_guid: SPACE.guid,
          }),
          event('audit.service_binding.create', LEDGER.createdAt + 120_000, binding, {
            app_guid: APP.guid,
            service_instance_guid: LEDGER.guid,
          }),
          event('audit.service_binding.delete', LEDGER.deletedAt - 30_000, binding, {}),
          event('audit.service_instance.delete', LEDGER.deletedAt, instance, {}),
        ],
      },
      bosh: {
        version: '1.3262.0',
        director: { name: 'p-bosh-2c4e6a8b0d1f3e5a7c90', url: 'https://10.58.112.2:25555', user: 'director' },
        deployments: [
          {
            name: 'cf-8a6c4e2b0d9f7e5c3a11',
            releases: ['cf/250'],
            stemcells: ['bosh-vsphere-esxi-ubuntu-trusty-go_agent/3312.17'],
            vms: [
              {
                job: 'router_z1',
                id: '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7',
                index: 0,
                ips: ['10.58.112.20'],
                state: 'running',
                resourcePool: 'router_z1',
              },
            ],
          },
          {
            name: DEPLOYMENT,
            releases: ['dingo-postgresql/0.10.1', 'etcd/96', 'simple-remote-syslog/2'],
            stemcells: ['bosh-vsphere-esxi-ubuntu-trusty-go_agent/3312.17'],
            vms: [
              {
                job: 'etcd',
                id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
                index: 0,
                ips: ['10.58.112.149'],
                state: 'running',
                resourcePool: 'etcd',
              },
              {
                job: `router-partition-${PARTITION}`,
                id: '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a',
                index: 0,
                ips: ['10.58.112.148'],
                state: 'running',
                resourcePool: `router-partition-${PARTITION}`,
              },
              ...CELLS.map((c) => ({ job: c.job, id: c.vm, index: c.index, ips: [c.ip], state: 'running', resourcePool: c.job })),
            ],
          },
        ],
      },
      cellHosts: Object.fromEntries(CELLS.map((c) => [c.ip, c.vm])),
      cells,
      etcd: {
        [`/service/${DECOY.guid}/initialize`]: DECOY.sysid,
        [`/service/${DECOY.guid}/leader`]: DECOY.node.uuid,
        [`/service/${DECOY.guid}/members/${DECOY.node.uuid}`]: JSON.stringify({
          conn_url: `postgres://appuser@${DECOY.node.cell.ip}:${DECOY.node.port}/postgres`,
          role: 'master',
        }),
        [`/routing/allocation/${DECOY.guid}`]: '30004',
      },
      s3: { [BUCKET]: Object.fromEntries(Object.entries(s3).sort(([a], [b]) => a.localeCompare(b))) },
      databases: {
        [LEDGER.sysid]: {
          description: 'ledger-db as initech left it before deleting it on 21 February 2017',
          roles: { pgadmin: 'ledger-admin-password-Tq48', postgres: 'ledger-superuser-password-Mx15', appuser: 'ledger-app-password-Wc62' },
        },
        [DECOY.sysid]: {
          description: "another tenant's database (must never be touched)",
          roles: { postgres: 'umbrella-superuser-pw-3390' },
        },
      },
      serving: { [decoyName]: DECOY.sysid },
      placements: [
        {
          nodeUuid: NEW.node,
          cellIp: NEW.cell.ip,
          containerId: hex(NEW.node, 64),
          hostPort: NEW.port,
          sysid: '6391887766554433221',
          image: IMAGE,
          env: {
            ETCD_HOST_PORT: ETCD,
            WAL_S3_BUCKET: BUCKET,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7INITECH1',
            AWS_SECRET_ACCESS_KEY: 'q8Wm2Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9INITECHSECRET1',
            ADMIN_USERNAME: 'pgadmin',
            ADMIN_PASSWORD: 'new-admin-password-Gb83',
            SUPERUSER_USERNAME: 'postgres',
            SUPERUSER_PASSWORD: 'new-superuser-password-Ry27',
            APPUSER_USERNAME: 'appuser',
            APPUSER_PASSWORD: 'new-app-password-Zn94',
          },
        },
      ],
    },
  };
}

const out = resolve(process.argv[2] ?? 'fixtures/later-broker');
decoyLife();
const { lastWal, lastSeg } = ledgerLife();
ledgerDeleted();
lines.sort((a, b) => a.t - b.t);
mkdirSync(join(out, 'syslog'), { recursive: true });
writeFileSync(join(out, 'syslog', 'syslog'), lines.map((l) => `${l.text}\n`).join(''));
const header = '# Written by test/support/make-later-broker-fixture.ts; every GUID is consistent with the syslog file.\n';
writeFileSync(join(out, 'scenario.yaml'), header + stringify(scenario(lastWal, lastSeg), { lineWidth: 0 }));
writeFileSync(
  join(out, 'answers.yaml'),
  [
    '# The user\'s answers ("we deleted ledger-db by mistake, please bring it back, bound to invoicer").',
    'inputs:',
    `  org: ${ORG.name}`,
    `  space: ${SPACE.name}`,
    `  serviceName: ${LEDGER.name}`,
    '  plan: cluster',
    `  apps: [${APP.name}]`,
    '',
  ].join('\n'),
);
