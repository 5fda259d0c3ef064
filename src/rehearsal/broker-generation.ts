/**
 * Which Dingo broker the simulated platform runs, and what it does and logs when a service is
 * created. A scenario says it as the real platform does: the `dingo-postgresql/<version>` release
 * of its Dingo deployment (`world.bosh.deployments[].releases`).
 *
 * - Before v0.9, the 2016 broker (dingotiles/dingo-postgresql-broker at 4284f0a, lager source
 *   `patroni-broker`): one node whatever the plan or parameters (`broker/provision.go`); its
 *   `cluster.provision.running.success` line records the cluster with the parameters it was given
 *   (`serviceinstance/cluster.go`).
 * - From v0.9 (the release notes: "a rewrite of the scheduling planner"), the broker sizes a
 *   cluster by the `node-count` parameter alone, 2 when it is absent, whatever the plan
 *   (`broker/structs/structs.go` `ClusterFeaturesFromParameters`, `defaultNodeCount = 2`); a count
 *   that is not a positive number is refused, and so is one larger than its cells
 *   (`scheduler/scheduler.go` `VerifyClusterFeatures`). It logs under `dingo-postgresql-broker`:
 *   `provision.start`, `scheduler.run-cluster` with the plan's steps and its features (a struct
 *   without JSON tags, so lager writes its field names), then per node `add-node.perform` and
 *   `add-node.perform.success {"member"}` (`scheduler/step/add_node.go`), and `provision.done`.
 *   A scenario whose Dingo release is not listed runs this one, the stricter.
 */
import type { SimWorld } from './world-state.js';

export type BrokerGeneration = '2016' | 'scheduler';

/** The broker's node count when `node-count` is not given (v0.9 and later). */
const DEFAULT_NODE_COUNT = 2;

/** The Dingo deployment's release version, if its releases name one. */
function dingoRelease(world: SimWorld): string | undefined {
  for (const d of world.state.bosh.deployments) {
    for (const r of d.releases ?? []) {
      const m = /^dingo-postgresql\/(\d+(?:\.\d+)*)$/.exec(r);
      if (m) return m[1];
    }
  }
  return undefined;
}

export function brokerGeneration(world: SimWorld): BrokerGeneration {
  const release = dingoRelease(world);
  if (release === undefined) return 'scheduler';
  const [major = 0, minor = 0] = release.split('.').map(Number);
  return major > 0 || minor >= 9 ? 'scheduler' : '2016';
}

/** The nodes the broker makes for a create with these parameters, or why it refuses them. */
export function nodesToMake(generation: BrokerGeneration, parameters: Record<string, unknown> | undefined, cells: number): number | string {
  if (generation === '2016') return 1;
  const asked = parameters?.['node-count'];
  // mapstructure decodes a JSON number (a float) into the int; anything else fails the decode.
  if (asked !== undefined && typeof asked !== 'number')
    return `1 error(s) decoding:\n\n* 'node-count' expected type 'int', got unconvertible type '${typeof asked}'`;
  const nodes = asked === undefined || asked === 0 ? DEFAULT_NODE_COUNT : Math.trunc(asked);
  if (nodes < 0) return `Broker: node-count (${nodes}) must be a positive number`;
  if (nodes > cells) return `Scheduler: Not enough Cell GUIDs for cluster of ${nodes} nodes`;
  return nodes;
}

/** What the broker's lines say of one create. */
export interface ProvisionFacts {
  guid: string;
  serviceId: string;
  planId: string;
  orgGuid: string;
  spaceGuid: string;
  parameters: Record<string, unknown>;
  /** The nodes made, each with the cell that runs it. */
  nodes: { nodeUuid: string; cellIp: string }[];
}

/** The broker's syslog host: its router VM, `index.job.deployment` as BOSH names forwarded hosts. */
function brokerHost(world: SimWorld): string {
  for (const d of world.state.bosh.deployments) {
    if (!d.name.startsWith('dingo-postgresql')) continue;
    const vm = d.vms.find((v) => v.job.startsWith('router'));
    if (vm) return `${vm.index}.${vm.job}.${d.name}`;
  }
  return 'router';
}

/** Lager's JSON line: epoch seconds with nanoseconds, the source, `source.message`, the data. */
function lager(at: Date, source: string, message: string, data: Record<string, unknown>): string {
  const ms = at.getTime();
  const timestamp = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}000000`;
  return JSON.stringify({ timestamp, source, message: `${source}.${message}`, log_level: 1, data });
}

/** The broker's lines for a create, in its generation's words, on its router's syslog. */
export function logProvision(world: SimWorld, generation: BrokerGeneration, f: ProvisionFacts, session: string): void {
  const host = brokerHost(world);
  // world.syslog stamps its k-th line a second after the one before: lager's time is the same second.
  let k = 0;
  const line = (source: string, message: string, data: Record<string, unknown>): string =>
    lager(new Date(Date.parse(world.state.clock) + ++k * 1000), source, message, data);
  if (generation === '2016') {
    const cluster = {
      instance_id: f.guid,
      service_id: f.serviceId,
      plan_id: f.planId,
      organization_guid: f.orgGuid,
      space_guid: f.spaceGuid,
      parameters: f.parameters,
      node_count: f.nodes.length,
      node_size: 20,
    };
    world.syslog(host, 'broker.stdout.log', [
      line('patroni-broker', 'cluster.provision.running.success', { cluster, 'instance-id': f.guid, session }),
    ]);
    return;
  }
  const source = 'dingo-postgresql-broker';
  const steps = [...f.nodes.map(() => 'AddNode'), 'WaitForAllMembers', 'WaitForLeader'];
  // provision() logs done as it returns; the cluster is then run in the background.
  world.syslog(host, 'broker.stdout.log', [
    line(source, 'provision.start', { 'instance-id': f.guid, session }),
    line(source, 'provision.done', { 'instance-id': f.guid, session }),
    line(source, 'scheduler.run-cluster', {
      'instance-id': f.guid,
      'steps-count': steps.length,
      steps,
      features: { NodeCount: f.nodes.length, CellGUIDs: null, CloneFromServiceName: '' },
    }),
    ...f.nodes.flatMap((n) => [
      line(source, 'add-node.perform', { 'instance-id': f.guid }),
      line(source, 'add-node.perform.success', { member: n.nodeUuid }),
    ]),
  ]);
}
