/**
 * What the simulated Dingo broker does when cf creates a service: it schedules a
 * patroni container on a cell (env, /data mount), the container bootstraps a fresh
 * database, registers in etcd and starts archiving to its own wal-e prefix, and the
 * platform logs all of it as the real one does.
 */
import { createHash } from 'node:crypto';
import type { Placement, SimWorld } from './world-state.js';

export type { Placement };

const etag = (s: string): string => createHash('md5').update(s).digest('hex');

export function buildNewInstance(world: SimWorld, instance: { guid: string; name: string }): void {
  const placement = world.state.placements.shift();
  if (!placement) {
    world.record('broker', `no placement left for ${instance.guid}: the simulated broker cannot schedule it`);
    return;
  }
  const { nodeUuid, cellIp, env } = placement;
  const name = `cf-${nodeUuid}`;
  const dataDir = `/var/vcap/store/cf-containers-broker/${name}/data`;
  const cell = world.state.cells[cellIp]!;
  const now = world.tick(5000).toISOString();
  const fullEnv = [
    `ETCD_HOST_PORT=${env.ETCD_HOST_PORT}`,
    `AWS_ACCESS_KEY_ID=${env.AWS_ACCESS_KEY_ID}`,
    `AWS_SECRET_ACCESS_KEY=${env.AWS_SECRET_ACCESS_KEY}`,
    `WAL_S3_BUCKET=${env.WAL_S3_BUCKET}`,
    `AWS_REGION=${env.AWS_REGION}`,
    'WALE_BACKUP_THRESHOLD_PERCENTAGE=30',
    'WALE_BACKUP_THRESHOLD_MEGABYTES=10240',
    `PATRONI_SCOPE=${instance.guid}`,
    `NODE_ID=${nodeUuid}`,
    `ADMIN_USERNAME=${env.ADMIN_USERNAME}`,
    `ADMIN_PASSWORD=${env.ADMIN_PASSWORD}`,
    `SUPERUSER_USERNAME=${env.SUPERUSER_USERNAME}`,
    `SUPERUSER_PASSWORD=${env.SUPERUSER_PASSWORD}`,
    `APPUSER_USERNAME=${env.APPUSER_USERNAME}`,
    `APPUSER_PASSWORD=${env.APPUSER_PASSWORD}`,
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ];
  cell.containers[name] = {
    id: placement.containerId,
    name,
    image: placement.image,
    env: fullEnv,
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
      roles: {
        [env.ADMIN_USERNAME]: env.ADMIN_PASSWORD,
        [env.SUPERUSER_USERNAME]: env.SUPERUSER_PASSWORD,
        [env.APPUSER_USERNAME]: env.APPUSER_PASSWORD,
      },
    },
  } as (typeof cell.containers)[string];
  cell.files[dataDir] = ['postgres0', 'wal-e'];
  world.state.serving[name] = placement.sysid;
  world.state.databases[placement.sysid] ??= {
    description: `the empty database of the new instance ${instance.guid}`,
    roles: {
      [env.ADMIN_USERNAME]: env.ADMIN_PASSWORD,
      [env.SUPERUSER_USERNAME]: env.SUPERUSER_PASSWORD,
      [env.APPUSER_USERNAME]: env.APPUSER_PASSWORD,
    },
  };

  // The fresh cluster registers in etcd and archives a first base backup and WAL.
  const scope = `/service/${instance.guid}`;
  world.state.etcd[`${scope}/initialize`] = placement.sysid;
  world.state.etcd[`${scope}/leader`] = nodeUuid;
  world.state.etcd[`${scope}/optime/leader`] = '50331920';
  world.state.etcd[`${scope}/members/${nodeUuid}`] = JSON.stringify({
    conn_url: `postgres://replicator@${cellIp}:${placement.hostPort}/postgres`,
    role: 'master',
  });
  const bucket = (world.state.s3[env.WAL_S3_BUCKET] ??= {});
  const prefix = `backups/${instance.guid}/wal/`;
  const base = 'basebackups_005/base_000000010000000000000002_00000040';
  const put = (rel: string, size: number, body?: string): void => {
    bucket[prefix + rel] = {
      size: body === undefined ? size : Buffer.byteLength(body),
      etag: etag(`${instance.guid}/${rel}/${body ?? size}`),
      lastModified: world.tick(2000).toISOString(),
      ...(body === undefined ? {} : { body }),
    };
  };
  put('sysids/sysid', 0, `${placement.sysid}\n`);
  put('wal_005/000000010000000000000001.lzo', 16_384);
  put(`${base}/extended_version.txt`, 0, 'PostgreSQL 9.5.1 on x86_64-pc-linux-gnu, compiled by gcc (Debian 4.9.2-10) 4.9.2, 64-bit');
  put(`${base}/tar_partitions/part_00000000.tar.lzo`, 3_407_872);
  put('wal_005/000000010000000000000002.lzo', 16_640);
  put('wal_005/000000010000000000000002.00000028.backup.lzo', 245);
  put(
    `${base}_backup_stop_sentinel.json`,
    0,
    JSON.stringify({
      wal_segment_backup_stop: '000000010000000000000002',
      wal_segment_offset_backup_stop: '000000f8',
      expanded_size_bytes: 21_047_872,
      spec: { base_prefix: '/data/postgres0', tablespaces: [] },
    }),
  );

  // What the platform's syslog shows of it (cf-containers-broker, then the container itself).
  const cellHost = world.state.cellHosts[cellIp] ?? cellIp;
  world.syslog(cellHost, 'cf-containers-broker.log', [
    `Creating Docker container \`${name}'...`,
    `+-> Create options: {'name'=>'${name}', 'Image'=>'${placement.image}', 'Env'=>['PATRONI_SCOPE=${instance.guid}', 'NODE_ID=${nodeUuid}'], 'Labels'=>{'plan_id'=>'1545e30e-6dc3-11e5-826a-6c4008a663f0', 'instance_id'=>'${nodeUuid}'}}`,
    `Starting Docker container \`${name}'...`,
  ]);
  const scope6 = instance.guid.slice(0, 6);
  world.syslog(cellHost, `docker/${name}`, [
    `${scope6}-startup> public :5432 address ${cellIp}:${placement.hostPort}`,
    `${scope6}-patroni> upload: tmp/sysids/sysid to s3://${env.WAL_S3_BUCKET}/${prefix}sysids/sysid`,
    `${scope6}-patroni>         DETAIL: Uploading "pg_xlog/000000010000000000000001" to "s3://${env.WAL_S3_BUCKET}/${prefix}wal_005/000000010000000000000001.lzo".`,
    `${scope6}-patroni>         STRUCTURED: time=${now.replace('Z', '-00')} pid=231 action=push-wal key=s3://${env.WAL_S3_BUCKET}/${prefix}wal_005/000000010000000000000001.lzo prefix=${prefix} seg=000000010000000000000001 state=begin`,
    `${scope6}-backup>         DETAIL: Uploading to s3://${env.WAL_S3_BUCKET}/${prefix}${base}/extended_version.txt.`,
  ]);
  world.record('broker', `created ${instance.name} (${instance.guid}) as container ${name} on cell ${cellIp}`);
}
