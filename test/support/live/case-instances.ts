/**
 * The instances of one live case: the deleted ones the platform still has archives (and
 * syslog) of, and the new ones its broker creates, each with its own node, container, host port,
 * database and passwords.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NewInstanceConfig } from './broker-config.js';
import { SEED_LOGS_TIME } from './es-logs.js';
import {
  BUCKET,
  CELL_HOST,
  CELL_IP,
  OLD_GUID,
  archivePrefix,
  httpAsync,
  rfc3164,
  s3Request,
  type OldInstance,
  type S3Credentials,
} from './shared.js';

/** The system identifier of the database the broker's first new instance bootstraps. */
export const NEW_SYSID = '6263019934712345126';
/** The host port the first new instance's container publishes 5432 on; the next ones count up. */
const FIRST_HOST_PORT = 32785;

/** A new instance the case's broker creates (when cf hands out its GUID), as the test sees it. */
export interface NewInstance {
  guid: string;
  nodeUuid: string;
  /** Its container, cf-<nodeUuid>. */
  container: string;
  /** The container's /data on the cell (this machine's filesystem). */
  dataDir: string;
  /** The fresh database's system identifier (its own archive's, until the recovery). */
  sysid: string;
  hostPort: number;
  /** Role → password the broker gives it: what its roles must have after the recovery. */
  passwords: Record<string, string>;
}

/** The credentials every container of the platform archives with (the broker's). */
export interface ContainerEnv {
  ETCD_HOST_PORT: string;
  WAL_S3_BUCKET: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

/**
 * `count` new instances, in the order cf hands their GUIDs out: random GUIDs, nodes, container
 * ids and passwords; sysids and host ports counting up from the first's.
 */
export function planNewInstances(
  count: number,
  storeRoot: string,
  shared: ContainerEnv,
): { instances: NewInstance[]; configs: Record<string, NewInstanceConfig> } {
  const instances: NewInstance[] = [];
  const configs: Record<string, NewInstanceConfig> = {};
  for (let i = 0; i < count; i++) {
    const nodeUuid = randomUUID();
    const container = `cf-${nodeUuid}`;
    const tag = randomBytes(4).toString('hex');
    const passwords = {
      'dingo-admin': `new-admin-pw-${tag}-Rp55`,
      pgsuper: `new-superuser-pw-${tag}-Vb17`,
      appuser: `new-app-pw-${tag}-Kd29`,
    };
    const made: NewInstance = {
      guid: randomUUID(),
      nodeUuid,
      container,
      dataDir: join(storeRoot, container, 'data'),
      sysid: String(BigInt(NEW_SYSID) + BigInt(i)),
      hostPort: FIRST_HOST_PORT + i,
      passwords,
    };
    instances.push(made);
    configs[made.guid] = {
      nodeUuid,
      containerId: randomBytes(32).toString('hex'),
      hostPort: made.hostPort,
      sysid: made.sysid,
      env: {
        ...shared,
        ADMIN_USERNAME: 'dingo-admin',
        ADMIN_PASSWORD: passwords['dingo-admin'],
        SUPERUSER_USERNAME: 'pgsuper',
        SUPERUSER_PASSWORD: passwords.pgsuper,
        APPUSER_USERNAME: 'appuser',
        APPUSER_PASSWORD: passwords.appuser,
      },
    };
  }
  return { instances, configs };
}

/** Puts each deleted instance's archive at its prefix in the bucket (idempotent). */
export async function uploadArchives(endpoint: string, creds: S3Credentials, deleted: OldInstance[]): Promise<void> {
  const puts = deleted.flatMap((d) =>
    d.archive.map(([rel, body]) => s3Request('PUT', endpoint, BUCKET, archivePrefix(d.guid) + rel, creds, body)),
  );
  const bad = (await httpAsync(puts)).filter((r) => r.status !== 200);
  if (bad.length) throw new Error(`uploading the deleted instances' archives to moto failed: ${JSON.stringify(bad)}`);
}

const BROKER_HOST = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';
const CELL_BOSH_HOST = '0.cell_z1-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';
/** When the seed incident's instance was provisioned and when its space was deleted (UTC). */
const SEED_PROVISIONED = Date.parse('2016-03-16T18:50:02Z');
const SEED_DELETED_AT = Date.parse('2016-03-16T23:10:17Z');

/** The node the deleted instance ran on (its `index`th, for a cluster), derived from its GUID. */
export function oldNodeOf(guid: string, index = 0): string {
  const h = createHash('sha256')
    .update(index === 0 ? `${guid}/old-node` : `${guid}/old-node/${String(index)}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * What the platform's syslog kept of a deleted instance, as the seed incident's lines have it for
 * its own: the broker provisions it, a container starts for each of its nodes, the first archives,
 * the broker removes every node. `n` staggers instances by seconds.
 */
export function deletedInstanceSyslog(d: OldInstance, n: number, space: { orgGuid: string; spaceGuid: string }): string[] {
  const nodes = [...Array(d.nodes).keys()].map((i) => oldNodeOf(d.guid, i));
  const name = `cf-${nodes[0]!}`;
  const prefix = `s3://${BUCKET}/${archivePrefix(d.guid)}`;
  const born = (s: number): string => rfc3164(new Date(SEED_PROVISIONED + (n * 60 + s) * 1000));
  const gone = new Date(SEED_DELETED_AT + n * 1000);
  // The seed offering's plans: cluster (…f1) for several nodes, solo (…f0) for one.
  const planId = d.nodes > 1 ? '1545e30e-6dc3-11e5-826a-6c4008a663f1' : '1545e30e-6dc3-11e5-826a-6c4008a663f0';
  const cluster = {
    instance_id: d.guid,
    service_id: 'beb5973c-e1b2-11e5-a736-c7c0b526363d',
    plan_id: planId,
    organization_guid: space.orgGuid,
    space_guid: space.spaceGuid,
    parameters: {},
    node_count: d.nodes,
    node_size: 20,
    allocated_port: 30010 + n,
  };
  const json = (at: Date, message: string, data: unknown): string =>
    JSON.stringify({ timestamp: (at.getTime() / 1000).toFixed(9), source: 'patroni-broker', message, log_level: 1, data });
  const wal = [1, 2, 3, 4, 5].map((seg) => {
    const file = `00000001000000000000000${String(seg)}`;
    return `${born(600 + seg * 60)} ${CELL_HOST} docker/${name}:  patroni>         DETAIL: Uploading "pg_xlog/${file}" to "${prefix}wal_005/${file}.lzo".`;
  });
  const started = nodes.flatMap((node, i) => [
    `${born(1 + i * 10)} ${CELL_BOSH_HOST} cf-containers-broker.log:  Creating Docker container \`cf-${node}'...`,
    `${born(1 + i * 10)} ${CELL_BOSH_HOST} cf-containers-broker.log:  +-> Create options: {'name'=>'cf-${node}', 'Image'=>'cfcommunity/postgresql-patroni:9.5', 'Env'=>['PATRONI_SCOPE=${d.guid}', 'NODE_NAME=${node}'], 'Labels'=>{'plan_id'=>'${planId}', 'instance_id'=>'${node}'}}`,
    `${born(2 + i * 10)} ${CELL_BOSH_HOST} cf-containers-broker.log:  Starting Docker container \`cf-${node}'...`,
    `${born(7 + i * 10)} ${CELL_HOST} docker/cf-${node}:  public address ${CELL_IP}:${String(32700 + n + i * 100)}`,
  ]);
  const removed = nodes.flatMap((node, i) => [
    `${rfc3164(gone)} ${BROKER_HOST} broker.stdout.log:  ${json(gone, 'patroni-broker.cluster.remove-node.perform', { backend: CELL_IP, 'instance-id': d.guid, 'node-uuid': node, session: String(76 + n + i * 100) })}`,
    `${rfc3164(gone)} ${CELL_BOSH_HOST} cf-containers-broker.log:  Destroying Docker container \`cf-${node}'...`,
  ]);
  return [
    `${born(0)} ${BROKER_HOST} broker.stdout.log:  ${json(new Date(SEED_PROVISIONED + n * 60_000), 'patroni-broker.cluster.provision.running.success', { cluster, session: String(41 + n) })}`,
    ...started,
    `${born(600)} ${CELL_HOST} docker/${name}:  patroni> upload: tmp/sysids/sysid to ${prefix}sysids/sysid`,
    ...wal,
    ...removed,
  ];
}

/**
 * Writes the syslog of the deleted instances the seed logs do not have (every one but the seed's)
 * to `dir`/deleted-instances.log, dated like the seed logs (its year is that of the file's
 * modification time, as for any undated syslog file).
 */
export function writeDeletedSyslog(dir: string, deleted: OldInstance[], space: { orgGuid: string; spaceGuid: string }): void {
  const extra = deleted.filter((d) => d.guid !== OLD_GUID);
  if (extra.length === 0) return;
  const file = join(dir, 'deleted-instances.log');
  // In time order, as syslog writes them (all within one day: "Mar 16 hh:mm:ss" sorts as text).
  const lines = extra
    .flatMap((d, i) => deletedInstanceSyslog(d, i + 1, space))
    .sort((a, b) => a.slice(0, 15).localeCompare(b.slice(0, 15)));
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  utimesSync(file, SEED_LOGS_TIME, SEED_LOGS_TIME);
}
