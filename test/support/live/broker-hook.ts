/**
 * The Dingo broker behind the fake `cf` of the live end-to-end test (loaded through
 * FAKE_CF_HOOKS). When `cf create-service` creates an instance, it does on the REAL parts
 * what cf-containers-broker and a fresh patroni container do: the container appears in the
 * cell's docker, its /data volume on the cell's filesystem, its keys in etcd, its first
 * archive in S3 (moto), and the platform syslog gets the broker's and the container's lines.
 */
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfServiceInstance } from '../../../src/rehearsal/cf-sim.js';
import type { CellWorld, SimContainer } from '../../../src/rehearsal/cell-sim.js';
import {
  BROKER_CONFIG_ENV,
  BUCKET,
  archivePrefix,
  etcdPut,
  httpSync,
  newArchive,
  rfc3164,
  s3Request,
  type BrokerConfig,
} from './shared.js';

export { onServiceUpdated } from './broker-grow.js';

function config(): BrokerConfig {
  const file = process.env[BROKER_CONFIG_ENV];
  if (!file) throw new Error(`${BROKER_CONFIG_ENV} is not set`);
  return JSON.parse(readFileSync(file, 'utf8')) as BrokerConfig;
}

function containerCredentials(env: Record<string, string>) {
  return { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, region: env.AWS_REGION! };
}

export function onServiceCreated(instance: CfServiceInstance): void {
  const c = config();
  const name = `cf-${c.nodeUuid}`;
  const dataDir = join(c.storeRoot, name, 'data');
  const now = new Date();

  // The container's volume, as the fresh cluster leaves it.
  mkdirSync(join(dataDir, 'postgres0', 'global'), { recursive: true });
  writeFileSync(join(dataDir, 'postgres0', 'PG_VERSION'), '9.5\n');
  writeFileSync(join(dataDir, 'postgres0', 'SYSID'), `${c.sysid}\n`);
  mkdirSync(join(dataDir, 'wal-e'), { recursive: true });
  writeFileSync(join(dataDir, 'wal-e', 'env'), `WALE_S3_PREFIX=s3://${BUCKET}/${archivePrefix(instance.guid)}\n`);

  // The container in the cell's docker.
  const env = [
    `ETCD_HOST_PORT=${c.env.ETCD_HOST_PORT}`,
    `AWS_ACCESS_KEY_ID=${c.env.AWS_ACCESS_KEY_ID}`,
    `AWS_SECRET_ACCESS_KEY=${c.env.AWS_SECRET_ACCESS_KEY}`,
    `WAL_S3_BUCKET=${c.env.WAL_S3_BUCKET}`,
    `AWS_REGION=${c.env.AWS_REGION}`,
    `PATRONI_SCOPE=${instance.guid}`,
    `NODE_ID=${c.nodeUuid}`,
    `ADMIN_USERNAME=${c.env.ADMIN_USERNAME}`,
    `ADMIN_PASSWORD=${c.env.ADMIN_PASSWORD}`,
    `SUPERUSER_USERNAME=${c.env.SUPERUSER_USERNAME}`,
    `SUPERUSER_PASSWORD=${c.env.SUPERUSER_PASSWORD}`,
    `APPUSER_USERNAME=${c.env.APPUSER_USERNAME}`,
    `APPUSER_PASSWORD=${c.env.APPUSER_PASSWORD}`,
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ];
  const container: SimContainer = {
    id: c.containerId,
    name,
    image: 'cfcommunity/postgresql-patroni:9.5',
    env,
    mounts: [{ Source: dataDir, Destination: '/data', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: now.toISOString(),
    finishedAt: '0001-01-01T00:00:00Z',
    logs: [`${instance.guid.slice(0, 6)}-patroni> INFO: initialized a new cluster`],
    pg: {
      ready: true,
      inRecovery: false,
      pollsUntilPromoted: 0,
      sysid: c.sysid,
      roles: {
        [c.env.ADMIN_USERNAME!]: c.env.ADMIN_PASSWORD!,
        [c.env.SUPERUSER_USERNAME!]: c.env.SUPERUSER_PASSWORD!,
        [c.env.APPUSER_USERNAME!]: c.env.APPUSER_PASSWORD!,
      },
    },
  };
  const cell = JSON.parse(readFileSync(c.dockerState, 'utf8')) as CellWorld & { history?: string[] };
  cell.containers[name] = container;
  (cell.history ??= []).push(`broker created ${name} for ${instance.guid}`);
  writeFileSync(c.dockerState, JSON.stringify(cell, null, 2));
  chmodSync(c.dockerState, 0o666);

  // The fresh cluster registers in etcd and archives its first base backup and WAL.
  const scope = `/service/${instance.guid}`;
  const answers = httpSync([
    etcdPut(c.etcdUrl, `${scope}/initialize`, c.sysid),
    etcdPut(c.etcdUrl, `${scope}/leader`, c.nodeUuid),
    etcdPut(c.etcdUrl, `${scope}/optime/leader`, '50331920'),
    etcdPut(
      c.etcdUrl,
      `${scope}/members/${c.nodeUuid}`,
      JSON.stringify({ conn_url: `postgres://replicator@${c.cellIp}:${c.hostPort}/postgres`, role: 'master' }),
    ),
    // wal-e uploads with the container's own AWS credentials.
    ...newArchive(instance.guid, c.sysid).map(([rel, body]) =>
      s3Request('PUT', c.s3Endpoint, c.env.WAL_S3_BUCKET!, archivePrefix(instance.guid) + rel, containerCredentials(c.env), body),
    ),
  ]);
  const failed = answers.filter((a) => a.status >= 300);
  if (failed.length) throw new Error(`the simulated broker could not write etcd/S3: ${JSON.stringify(failed)}`);

  // What the platform's syslog shows of it: cf-containers-broker (whose create options carry the
  // container's credentials, as the real broker logs them), then the container itself.
  const prefix = archivePrefix(instance.guid);
  const bucket = c.env.WAL_S3_BUCKET!;
  const scope6 = instance.guid.slice(0, 6);
  const at = (s: number): string => rfc3164(new Date(now.getTime() + s * 1000));
  const iso = (s: number): string => new Date(now.getTime() + s * 1000).toISOString().replace('Z', '-00');
  // The broker prints the whole create options, credentials first (as its options hash has them).
  const logged = [...env.filter((e) => e.startsWith('AWS_')), ...env.filter((e) => !e.startsWith('AWS_'))];
  const envText = logged.map((e) => `'${e}'`).join(', ');
  const lines = [
    `${at(0)} ${c.cellHost} cf-containers-broker.log:  Creating Docker container \`${name}'...`,
    `${at(0)} ${c.cellHost} cf-containers-broker.log:  +-> Create options: {'name'=>'${name}', 'Env'=>[${envText}], 'Image'=>'cfcommunity/postgresql-patroni:9.5', 'Labels'=>{'plan_id'=>'1545e30e-6dc3-11e5-826a-6c4008a663f0', 'instance_id'=>'${c.nodeUuid}'}}`,
    `${at(1)} ${c.cellHost} cf-containers-broker.log:  Starting Docker container \`${name}'...`,
    `${at(5)} ${c.cellHost} docker/${name}:  ${scope6}-startup> public :5432 address ${c.cellIp}:${c.hostPort}`,
    `${at(9)} ${c.cellHost} docker/${name}:  ${scope6}-patroni> upload: tmp/sysids/sysid to s3://${bucket}/${prefix}sysids/sysid`,
    `${at(10)} ${c.cellHost} docker/${name}:  ${scope6}-patroni>         DETAIL: Uploading "pg_xlog/000000010000000000000001" to "s3://${bucket}/${prefix}wal_005/000000010000000000000001.lzo".`,
    `${at(10)} ${c.cellHost} docker/${name}:  ${scope6}-patroni>         STRUCTURED: time=${iso(10)} pid=231 action=push-wal key=s3://${bucket}/${prefix}wal_005/000000010000000000000001.lzo prefix=${prefix} seg=000000010000000000000001 state=begin`,
    `${at(11)} ${c.cellHost} docker/${name}:  ${scope6}-backup>         DETAIL: Uploading to s3://${bucket}/${prefix}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt.`,
  ];
  appendFileSync(c.logFile, lines.map((l) => `${l}\n`).join(''));
}
