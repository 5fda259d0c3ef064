/**
 * The live broker's answer to `cf update-service NAME -c '{"node-count":N}'` (loaded with
 * broker-hook.ts through FAKE_CF_HOOKS): it schedules the missing nodes in the cell's docker.
 * Each new node clones with wal-e from the instance's archive in S3 (moto, read with the
 * containers' own credentials) onto a real /data folder, and streams from the leader only when it
 * cloned the leader's database (same system identifier), as PostgreSQL allows.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { CfServiceInstance } from '../../../src/rehearsal/cf-sim.js';
import type { SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { requestedNodes } from '../../../src/rehearsal/grow.js';
import type { LiveCellWorld } from './cell-docker.js';
import { BROKER_CONFIG_ENV, archivePrefix, httpSync, s3Request, type BrokerConfig } from './shared.js';

function config(): BrokerConfig {
  const file = process.env[BROKER_CONFIG_ENV];
  if (!file) throw new Error(`${BROKER_CONFIG_ENV} is not set`);
  return JSON.parse(readFileSync(file, 'utf8')) as BrokerConfig;
}

function nodeUuid(guid: string, index: number): string {
  const h = createHash('sha256').update(`${guid}/node/${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function onServiceUpdated(instance: CfServiceInstance, parameters: Record<string, unknown>): string | undefined {
  const nodes = requestedNodes(parameters);
  if (nodes === undefined) return undefined;
  const c = config();
  const cell = JSON.parse(readFileSync(c.dockerState, 'utf8')) as LiveCellWorld;
  const leader = cell.containers[`cf-${c.nodeUuid}`];
  if (!leader?.running || leader.pg.inRecovery) return 'cluster has no running leader to add nodes to';
  const [sysidAnswer] = httpSync([
    s3Request('GET', c.s3Endpoint, c.env.WAL_S3_BUCKET!, `${archivePrefix(instance.guid)}sysids/sysid`, {
      accessKeyId: c.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: c.env.AWS_SECRET_ACCESS_KEY!,
      region: c.env.AWS_REGION!,
    }),
  ]);
  const cloned = sysidAnswer!.status === 200 ? sysidAnswer!.body.trim() : undefined;
  const replicas = (leader.pg.replicas ??= []);
  for (let index = replicas.length + 1; index < nodes; index++) {
    const uuid = nodeUuid(instance.guid, index);
    const name = `cf-${uuid}`;
    const dataDir = join(c.storeRoot, name, 'data');
    mkdirSync(join(dataDir, 'postgres0'), { recursive: true });
    if (cloned) writeFileSync(join(dataDir, 'postgres0', 'SYSID'), `${cloned}\n`);
    const streams = cloned !== undefined && cloned === leader.pg.sysid;
    const node: SimContainer = {
      ...structuredClone(leader),
      id: createHash('sha256').update(name).digest('hex'),
      name,
      env: leader.env.map((e) => (e.startsWith('NODE_ID=') ? `NODE_ID=${uuid}` : e)),
      mounts: [{ Source: dataDir, Destination: '/data', Mode: '', RW: true }],
      running: streams,
      logs: [`${instance.guid.slice(0, 6)}-patroni> wal_e: backup-fetch /data/postgres0 LATEST`],
      pg: { ...structuredClone(leader.pg), inRecovery: true, replicas: [], ...(cloned ? { sysid: cloned } : {}) },
    };
    cell.containers[name] = node;
    if (cloned) cell.serving[name] = cloned;
    if (streams) replicas.push({ applicationName: uuid, clientAddr: c.cellIp, state: 'streaming' });
    cell.history.push(
      `broker added ${name} to ${instance.guid}: cloned sysid ${cloned ?? '(none)'}${streams ? ', streams' : ', cannot stream'}`,
    );
  }
  writeFileSync(c.dockerState, JSON.stringify(cell, null, 2));
  chmodSync(c.dockerState, 0o666);
  return undefined;
}
