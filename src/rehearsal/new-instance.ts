/**
 * What the simulated Dingo broker does when cf creates a service: it schedules a
 * patroni container on a cell (env, /data mount), the container bootstraps a fresh
 * database, registers in etcd and starts archiving to its own wal-e prefix, and the
 * platform logs all of it as the real one does.
 */
import { createHash } from 'node:crypto';
import type { SimContainer } from './cell-world.js';
import type { Placement, SimWorld } from './world-state.js';
import { brokerGeneration, logProvision, nodesToMake } from './broker-generation.js';
import { growCluster } from './grow.js';
import { patroniRoles } from '../adapters/container-roles.js';

const etag = (s: string): string => createHash('md5').update(s).digest('hex');

/** The first base backup of a fresh cluster, as wal-e names it. */
const FIRST_BACKUP = 'basebackups_005/base_000000010000000000000002_00000040';

interface NewInstance {
  guid: string;
  name: string;
  spaceGuid: string;
  offering: string;
  plan: string;
  /** The `-c` parameters of the create. */
  parameters?: Record<string, unknown>;
  /** Set when the broker refuses the create: the operation then ends failed with this description. */
  failWith?: string;
}

/** What the broker sends the cell's cf-containers-broker: the catalog's ids, the org and space, the node's scope. */
interface NodeRequest {
  serviceId: string;
  planId: string;
  orgGuid: string;
  spaceGuid: string;
}

function nodeRequest(world: SimWorld, instance: NewInstance): NodeRequest {
  const { orgs, offerings } = world.state.cf;
  const offering = offerings.find((o) => o.label === instance.offering);
  const plan = offering?.plans.find((p) => p.name === instance.plan);
  return {
    serviceId: offering?.brokerId ?? offering?.guid ?? '',
    planId: plan?.brokerId ?? plan?.guid ?? '',
    orgGuid: orgs.find((o) => o.spaces.some((sp) => sp.guid === instance.spaceGuid))?.guid ?? '',
    spaceGuid: instance.spaceGuid,
  };
}

export function buildNewInstance(world: SimWorld, instance: NewInstance): void {
  const generation = brokerGeneration(world);
  const nodes = nodesToMake(generation, instance.parameters, Object.keys(world.state.cells).length);
  if (typeof nodes === 'string') {
    instance.failWith = nodes;
    world.record('broker', `refused to create ${instance.guid}: ${nodes}`);
    return;
  }
  const placement = world.state.placements.shift();
  if (!placement) {
    world.record('broker', `no placement left for ${instance.guid}: the simulated broker cannot schedule it`);
    return;
  }
  const name = `cf-${placement.nodeUuid}`;
  const now = world.tick(5000).toISOString();
  startContainer(world, placement, instance, name, now);
  const roles = rolesOf(placement.env, placement.nodeUuid);
  world.state.serving[name] = placement.sysid;
  world.state.databases[placement.sysid] ??= { description: `the empty database of the new instance ${instance.guid}`, roles };
  registerInEtcd(world, placement, instance.guid);
  archiveFirstBackup(world, placement, instance.guid);
  const request = nodeRequest(world, instance);
  logCreation(world, placement, { guid: instance.guid, name, request }, now);
  world.record('broker', `created ${instance.name} (${instance.guid}) as container ${name} on cell ${placement.cellIp}`);
  // The other nodes clone the first one's archive and stream from it, as a grown cluster's do.
  if (nodes > 1) growCluster(world, instance, nodes);
  const replicas = world.state.cells[placement.cellIp]!.containers[name]!.pg.replicas ?? [];
  logProvision(
    world,
    generation,
    {
      guid: instance.guid,
      serviceId: request.serviceId,
      planId: request.planId,
      orgGuid: request.orgGuid,
      spaceGuid: instance.spaceGuid,
      parameters: instance.parameters ?? {},
      nodes: [placement, ...replicas.map((r) => ({ nodeUuid: r.applicationName, cellIp: r.clientAddr }))],
    },
    String(100 + world.state.history.length),
  );
}

/**
 * The roles the container's Patroni creates: the broker's, or the image's defaults when it gave none
 * (adapters/container-roles.ts), whose admin password run.sh draws at random (pwgen -s -1 16).
 */
function rolesOf(env: Placement['env'], nodeUuid: string): Record<string, string> {
  return Object.fromEntries(patroniRoles(env, () => `pwgen-${nodeUuid.slice(0, 11)}`).map((r) => [r.role, r.password]));
}

function containerEnv(env: Placement['env'], guid: string, nodeUuid: string): string[] {
  const pass = (...names: (keyof Placement['env'])[]): string[] => names.map((n) => `${n}=${env[n]}`);
  return [
    ...pass('ETCD_HOST_PORT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'WAL_S3_BUCKET', 'AWS_REGION'),
    'WALE_BACKUP_THRESHOLD_PERCENTAGE=30',
    'WALE_BACKUP_THRESHOLD_MEGABYTES=10240',
    `PATRONI_SCOPE=${guid}`,
    `NODE_ID=${nodeUuid}`,
    // The broker's roles, when it gives them (the 2016 broker gives none).
    ...(['ADMIN_USERNAME', 'ADMIN_PASSWORD', 'SUPERUSER_USERNAME', 'SUPERUSER_PASSWORD', 'APPUSER_USERNAME', 'APPUSER_PASSWORD'] as const)
      .filter((n) => env[n])
      .map((n) => `${n}=${env[n]}`),
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ];
}

/** The running patroni container on its cell, its fresh data folder mounted at /data. */
function startContainer(world: SimWorld, placement: Placement, instance: NewInstance, name: string, now: string): void {
  const cell = world.state.cells[placement.cellIp]!;
  const dataDir = `/var/vcap/store/cf-containers-broker/${name}/data`;
  const container: SimContainer = {
    id: placement.containerId,
    name,
    image: placement.image,
    env: containerEnv(placement.env, instance.guid, placement.nodeUuid),
    mounts: [{ Source: dataDir, Destination: '/data', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: now,
    finishedAt: '0001-01-01T00:00:00Z',
    logs: [],
    pg: {
      ready: true,
      inRecovery: false,
      pollsUntilPromoted: 0,
      sysid: placement.sysid,
      roles: rolesOf(placement.env, placement.nodeUuid),
    },
  };
  cell.containers[name] = container;
  cell.files[dataDir] = ['postgres0', 'wal-e'];
}

/** The fresh cluster registers in etcd as its scope's leader. */
function registerInEtcd(world: SimWorld, placement: Placement, guid: string): void {
  const scope = `/service/${guid}`;
  world.state.etcd[`${scope}/initialize`] = placement.sysid;
  world.state.etcd[`${scope}/leader`] = placement.nodeUuid;
  world.state.etcd[`${scope}/optime/leader`] = '50331920';
  world.state.etcd[`${scope}/members/${placement.nodeUuid}`] = JSON.stringify({
    conn_url: `postgres://replicator@${placement.cellIp}:${placement.hostPort}/postgres`,
    role: 'master',
  });
}

/** The fresh cluster archives its sysid, a first base backup and its first WAL. */
function archiveFirstBackup(world: SimWorld, placement: Placement, guid: string): void {
  const bucket = (world.state.s3[placement.env.WAL_S3_BUCKET] ??= {});
  const prefix = `backups/${guid}/wal/`;
  const put = (rel: string, size: number, body?: string): void => {
    bucket[prefix + rel] = {
      size: body === undefined ? size : Buffer.byteLength(body),
      etag: etag(`${guid}/${rel}/${body ?? size}`),
      lastModified: world.tick(2000).toISOString(),
      ...(body === undefined ? {} : { body }),
    };
  };
  put('sysids/sysid', 0, `${placement.sysid}\n`);
  put('wal_005/000000010000000000000001.lzo', 16_384);
  put(
    `${FIRST_BACKUP}/extended_version.txt`,
    0,
    'PostgreSQL 9.5.1 on x86_64-pc-linux-gnu, compiled by gcc (Debian 4.9.2-10) 4.9.2, 64-bit',
  );
  put(`${FIRST_BACKUP}/tar_partitions/part_00000000.tar.lzo`, 3_407_872);
  put('wal_005/000000010000000000000002.lzo', 16_640);
  put('wal_005/000000010000000000000002.00000028.backup.lzo', 245);
  put(
    `${FIRST_BACKUP}_backup_stop_sentinel.json`,
    0,
    JSON.stringify({
      wal_segment_backup_stop: '000000010000000000000002',
      wal_segment_offset_backup_stop: '000000f8',
      expanded_size_bytes: 21_047_872,
      spec: { base_prefix: '/data/postgres0', tablespaces: [] },
    }),
  );
}

/** The broker's PUT as cf-containers-broker logs it (`lib/request_response_logger.rb`): headers, and the body as text. */
function requestLine(nodeUuid: string, guid: string, r: NodeRequest): string {
  const body = JSON.stringify({
    service_id: r.serviceId,
    plan_id: r.planId,
    organization_guid: r.orgGuid,
    space_guid: r.spaceGuid,
    parameters: { PATRONI_SCOPE: guid, NODE_ID: nodeUuid },
  });
  const headers = {
    CONTENT_LENGTH: String(body.length),
    CONTENT_TYPE: 'application/json',
    REQUEST_METHOD: 'PUT',
    REQUEST_PATH: `/v2/service_instances/${nodeUuid}`,
    HTTP_AUTHORIZATION: '[PRIVATE DATA HIDDEN]',
  };
  return `  Request: ${JSON.stringify({ headers, body })}`;
}

/** What the platform's syslog shows of it: cf-containers-broker, then the container itself. */
function logCreation(world: SimWorld, placement: Placement, c: { guid: string; name: string; request: NodeRequest }, now: string): void {
  const { cellIp, nodeUuid, env } = placement;
  const { guid, name } = c;
  const prefix = `backups/${guid}/wal/`;
  const cellHost = world.state.cellHosts[cellIp] ?? cellIp;
  world.syslog(cellHost, 'cf-containers-broker.log', [
    requestLine(nodeUuid, guid, c.request),
    `Creating Docker container \`${name}'...`,
    `+-> Create options: {'name'=>'${name}', 'Image'=>'${placement.image}', 'Env'=>['PATRONI_SCOPE=${guid}', 'NODE_ID=${nodeUuid}'], 'Labels'=>{'plan_id'=>'${c.request.planId}', 'instance_id'=>'${nodeUuid}'}}`,
    `Starting Docker container \`${name}'...`,
  ]);
  const scope6 = guid.slice(0, 6);
  world.syslog(cellHost, `docker/${name}`, [
    `${scope6}-startup> public :5432 address ${cellIp}:${placement.hostPort}`,
    `${scope6}-patroni> upload: tmp/sysids/sysid to s3://${env.WAL_S3_BUCKET}/${prefix}sysids/sysid`,
    `${scope6}-patroni>         DETAIL: Uploading "pg_xlog/000000010000000000000001" to "s3://${env.WAL_S3_BUCKET}/${prefix}wal_005/000000010000000000000001.lzo".`,
    `${scope6}-patroni>         STRUCTURED: time=${now.replace('Z', '-00')} pid=231 action=push-wal key=s3://${env.WAL_S3_BUCKET}/${prefix}wal_005/000000010000000000000001.lzo prefix=${prefix} seg=000000010000000000000001 state=begin`,
    `${scope6}-backup>         DETAIL: Uploading to s3://${env.WAL_S3_BUCKET}/${prefix}${FIRST_BACKUP}/extended_version.txt.`,
  ]);
}
