/**
 * The live broker's answer to `cf update-service NAME -c '{"node-count":N}'` (loaded with
 * broker-hook.ts through FAKE_CF_HOOKS): it schedules the missing nodes in the cell's docker.
 * Each new node clones with wal-e from the instance's archive in S3 (moto, read with the
 * containers' own credentials) onto a real /data folder, and streams from the leader only when it
 * cloned the leader's database (same system identifier), as PostgreSQL allows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { CfServiceInstance } from '../../../src/rehearsal/cf/index.js';
import type { SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { requestedNodes } from '../../../src/rehearsal/grow.js';
import { updateState } from '../fake-cli/locked-state.js';
import type { LiveCellWorld } from './cell-docker.js';
import { containerCredentials, containerName, instanceConfig, readBrokerConfig, type BrokerConfig } from './broker-config.js';
import { archivePrefix, httpSync, s3Request } from './shared.js';

function nodeUuid(guid: string, index: number): string {
  const h = createHash('sha256').update(`${guid}/node/${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The system identifier of the archive at the instance's prefix, as a cloning node reads it. */
function archivedSysid(c: BrokerConfig, guid: string, env: Record<string, string>): string | undefined {
  const [answer] = httpSync([
    s3Request('GET', c.s3Endpoint, env.WAL_S3_BUCKET!, `${archivePrefix(guid)}sysids/sysid`, containerCredentials(env)),
  ]);
  return answer!.status === 200 ? answer!.body.trim() : undefined;
}

/** Adds the nodes of `instance` numbered from the leader's replicas + 1 to `nodes` - 1. */
function addNodes(c: BrokerConfig, cell: LiveCellWorld, instance: CfServiceInstance, leader: SimContainer, nodes: number): void {
  const cloned = archivedSysid(c, instance.guid, instanceConfig(c, instance.guid).env);
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
}

export function onServiceUpdated(instance: CfServiceInstance, parameters: Record<string, unknown>): string | undefined {
  const nodes = requestedNodes(parameters);
  if (nodes === undefined) return undefined;
  const c = readBrokerConfig();
  const leaderName = containerName(instanceConfig(c, instance.guid));
  return updateState<LiveCellWorld, string | undefined>(c.dockerState, (cell) => {
    const leader = cell.containers[leaderName];
    if (!leader?.running || leader.pg.inRecovery) return 'cluster has no running leader to add nodes to';
    addNodes(c, cell, instance, leader, nodes);
    return undefined;
  });
}
