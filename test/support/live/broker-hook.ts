/**
 * The Dingo broker behind the fake `cf` of the live end-to-end test (loaded through
 * FAKE_CF_HOOKS). When `cf create-service` creates an instance, it does on the REAL parts
 * what cf-containers-broker and a fresh patroni container do: the container appears in the
 * cell's docker, its /data volume on the cell's filesystem, its keys in etcd, its first
 * archive in S3 (moto), and the platform syslog gets the broker's and the container's lines.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfServiceInstance } from '../../../src/rehearsal/cf/index.js';
import type { CellWorld, SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { updateState } from '../fake-cli/locked-state.js';
import {
  containerCredentials,
  containerName,
  dataDirOf,
  instanceConfig,
  readBrokerConfig,
  type BrokerConfig,
  type NewInstanceConfig,
} from './broker-config.js';
import { BUCKET, archivePrefix, etcdPut, httpSync, newArchive, rfc3164, s3Request } from './shared.js';
import { lagerLine, nodesToMake, provisionRecords } from '../../../src/rehearsal/broker-generation.js';

/** The seed offering's broker ids (Dingo's catalog: the service, its solo and cluster plans). */
const SERVICE_ID = 'beb5973c-e1b2-11e5-a736-c7c0b526363d';
const SOLO_PLAN_ID = '1545e30e-6dc3-11e5-826a-6c4008a663f0';
const CLUSTER_PLAN_ID = '1545e30e-6dc3-11e5-826a-6c4008a663f1';

export { onServiceUpdated } from './broker-grow.js';

/** The container's volume, as the fresh cluster leaves it. */
function writeFreshVolume(dataDir: string, guid: string, sysid: string): void {
  mkdirSync(join(dataDir, 'postgres0', 'global'), { recursive: true });
  writeFileSync(join(dataDir, 'postgres0', 'PG_VERSION'), '9.5\n');
  writeFileSync(join(dataDir, 'postgres0', 'SYSID'), `${sysid}\n`);
  mkdirSync(join(dataDir, 'wal-e'), { recursive: true });
  writeFileSync(join(dataDir, 'wal-e', 'env'), `WALE_S3_PREFIX=s3://${BUCKET}/${archivePrefix(guid)}\n`);
}

function containerEnv(guid: string, n: NewInstanceConfig): string[] {
  const e = n.env;
  return [
    `ETCD_HOST_PORT=${e.ETCD_HOST_PORT}`,
    `AWS_ACCESS_KEY_ID=${e.AWS_ACCESS_KEY_ID}`,
    `AWS_SECRET_ACCESS_KEY=${e.AWS_SECRET_ACCESS_KEY}`,
    `WAL_S3_BUCKET=${e.WAL_S3_BUCKET}`,
    `AWS_REGION=${e.AWS_REGION}`,
    `PATRONI_SCOPE=${guid}`,
    `NODE_ID=${n.nodeUuid}`,
    `ADMIN_USERNAME=${e.ADMIN_USERNAME}`,
    `ADMIN_PASSWORD=${e.ADMIN_PASSWORD}`,
    `SUPERUSER_USERNAME=${e.SUPERUSER_USERNAME}`,
    `SUPERUSER_PASSWORD=${e.SUPERUSER_PASSWORD}`,
    `APPUSER_USERNAME=${e.APPUSER_USERNAME}`,
    `APPUSER_PASSWORD=${e.APPUSER_PASSWORD}`,
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ];
}

function freshContainer(guid: string, n: NewInstanceConfig, dataDir: string, now: Date): SimContainer {
  const e = n.env;
  return {
    id: n.containerId,
    name: containerName(n),
    image: 'cfcommunity/postgresql-patroni:9.5',
    env: containerEnv(guid, n),
    mounts: [{ Source: dataDir, Destination: '/data', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: now.toISOString(),
    finishedAt: '0001-01-01T00:00:00Z',
    logs: [`${guid.slice(0, 6)}-patroni> INFO: initialized a new cluster`],
    pg: {
      ready: true,
      inRecovery: false,
      pollsUntilPromoted: 0,
      sysid: n.sysid,
      roles: {
        [e.ADMIN_USERNAME!]: e.ADMIN_PASSWORD!,
        [e.SUPERUSER_USERNAME!]: e.SUPERUSER_PASSWORD!,
        [e.APPUSER_USERNAME!]: e.APPUSER_PASSWORD!,
      },
    },
  };
}

/** The fresh cluster registers in etcd and archives its first base backup and WAL. */
function registerAndArchive(c: BrokerConfig, guid: string, n: NewInstanceConfig): void {
  const scope = `/service/${guid}`;
  const answers = httpSync([
    etcdPut(c.etcdUrl, `${scope}/initialize`, n.sysid),
    etcdPut(c.etcdUrl, `${scope}/leader`, n.nodeUuid),
    etcdPut(c.etcdUrl, `${scope}/optime/leader`, '50331920'),
    etcdPut(
      c.etcdUrl,
      `${scope}/members/${n.nodeUuid}`,
      JSON.stringify({ conn_url: `postgres://replicator@${c.cellIp}:${String(n.hostPort)}/postgres`, role: 'master' }),
    ),
    // wal-e uploads with the container's own AWS credentials.
    ...newArchive(guid, n.sysid).map(([rel, body]) =>
      s3Request('PUT', c.s3Endpoint, n.env.WAL_S3_BUCKET!, archivePrefix(guid) + rel, containerCredentials(n.env), body),
    ),
  ]);
  const failed = answers.filter((a) => a.status >= 300);
  if (failed.length) throw new Error(`the simulated broker could not write etcd/S3: ${JSON.stringify(failed)}`);
}

/**
 * What the platform's syslog shows of it: cf-containers-broker (whose create options carry the
 * container's credentials, as the real broker logs them), then the container itself.
 */
function syslogLines(c: BrokerConfig, guid: string, n: NewInstanceConfig, now: Date): string[] {
  const name = containerName(n);
  const prefix = archivePrefix(guid);
  const bucket = n.env.WAL_S3_BUCKET!;
  const scope6 = guid.slice(0, 6);
  const at = (s: number): string => rfc3164(new Date(now.getTime() + s * 1000));
  const iso = (s: number): string => new Date(now.getTime() + s * 1000).toISOString().replace('Z', '-00');
  // The broker prints the whole create options, credentials first (as its options hash has them).
  const env = containerEnv(guid, n);
  const logged = [...env.filter((e) => e.startsWith('AWS_')), ...env.filter((e) => !e.startsWith('AWS_'))];
  const envText = logged.map((e) => `'${e}'`).join(', ');
  return [
    `${at(0)} ${c.cellHost} cf-containers-broker.log:  Creating Docker container \`${name}'...`,
    `${at(0)} ${c.cellHost} cf-containers-broker.log:  +-> Create options: {'name'=>'${name}', 'Env'=>[${envText}], 'Image'=>'cfcommunity/postgresql-patroni:9.5', 'Labels'=>{'plan_id'=>'${SOLO_PLAN_ID}', 'instance_id'=>'${n.nodeUuid}'}}`,
    `${at(1)} ${c.cellHost} cf-containers-broker.log:  Starting Docker container \`${name}'...`,
    `${at(5)} ${c.cellHost} docker/${name}:  ${scope6}-startup> public :5432 address ${c.cellIp}:${String(n.hostPort)}`,
    ...(c.forgedBucket
      ? [
          `${at(8)} ${c.cellHost} docker/${name}:  ${scope6}-patroni> upload: tmp/sysids/sysid to s3://${c.forgedBucket}/${prefix}sysids/sysid`,
        ]
      : []),
    ...(c.forgedOnly
      ? []
      : [
          `${at(9)} ${c.cellHost} docker/${name}:  ${scope6}-patroni> upload: tmp/sysids/sysid to s3://${bucket}/${prefix}sysids/sysid`,
          `${at(10)} ${c.cellHost} docker/${name}:  ${scope6}-patroni>         DETAIL: Uploading "pg_xlog/000000010000000000000001" to "s3://${bucket}/${prefix}wal_005/000000010000000000000001.lzo".`,
          `${at(10)} ${c.cellHost} docker/${name}:  ${scope6}-patroni>         STRUCTURED: time=${iso(10)} pid=231 action=push-wal key=s3://${bucket}/${prefix}wal_005/000000010000000000000001.lzo prefix=${prefix} seg=000000010000000000000001 state=begin`,
          `${at(11)} ${c.cellHost} docker/${name}:  ${scope6}-backup>         DETAIL: Uploading to s3://${bucket}/${prefix}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt.`,
        ]),
  ];
}

/** The broker's own lines of the create, in its generation's words (../../../src/rehearsal/broker-generation.ts). */
function brokerLines(c: BrokerConfig, instance: CfServiceInstance, n: NewInstanceConfig, now: Date): string[] {
  const facts = {
    guid: instance.guid,
    serviceId: SERVICE_ID,
    planId: instance.plan === 'solo' ? SOLO_PLAN_ID : CLUSTER_PLAN_ID,
    orgGuid: '',
    spaceGuid: instance.spaceGuid,
    parameters: instance.parameters ?? {},
    nodes: [{ nodeUuid: n.nodeUuid, cellIp: c.cellIp }],
  };
  return provisionRecords(c.generation ?? '2016', facts, '77').map(
    (r) => `${rfc3164(now)} ${c.routerHost} broker.stdout.log:  ${lagerLine(now, r)}`,
  );
}

/**
 * cf created `instance`: the broker creates it on the real parts with the case's plan for its GUID,
 * as many nodes as its generation makes for the create's parameters on the platform's one cell (a
 * broker of v0.9 or later asked for more than one refuses: not enough cells).
 */
export function onServiceCreated(instance: CfServiceInstance): void {
  const c = readBrokerConfig();
  const n = instanceConfig(c, instance.guid);
  const name = containerName(n);
  const dataDir = dataDirOf(c, n);
  const now = new Date();
  const nodes = nodesToMake(c.generation ?? '2016', instance.parameters, 1);
  if (typeof nodes === 'string') {
    instance.failWith = nodes;
    updateState(c.dockerState, (cell: CellWorld & { history?: string[] }) => {
      (cell.history ??= []).push(`broker refused ${instance.guid}: ${nodes}`);
    });
    return;
  }
  writeFreshVolume(dataDir, instance.guid, n.sysid);
  updateState(c.dockerState, (cell: CellWorld & { history?: string[] }) => {
    cell.containers[name] = freshContainer(instance.guid, n, dataDir, now);
    (cell.history ??= []).push(`broker created ${name} for ${instance.guid}`);
  });
  registerAndArchive(c, instance.guid, n);
  // One write with O_APPEND: lines of instances created at once never interleave.
  appendFileSync(c.logFile, [...brokerLines(c, instance, n, now), ...syslogLines(c, instance.guid, n, now)].map((l) => `${l}\n`).join(''));
}
