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
function dingoRelease(deployments: readonly { releases?: string[] }[]): string | undefined {
  for (const d of deployments) {
    for (const r of d.releases ?? []) {
      const m = /^dingo-postgresql\/(\d+(?:\.\d+)*)$/.exec(r);
      if (m) return m[1];
    }
  }
  return undefined;
}

/** The broker of the platform whose BOSH deployments these are. */
export function generationOfReleases(deployments: readonly { releases?: string[] }[]): BrokerGeneration {
  const release = dingoRelease(deployments);
  if (release === undefined) return 'scheduler';
  const [major = 0, minor = 0] = release.split('.').map(Number);
  return major > 0 || minor >= 9 ? 'scheduler' : '2016';
}

export function brokerGeneration(world: SimWorld): BrokerGeneration {
  return generationOfReleases(world.state.bosh.deployments);
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
export function brokerHost(deployments: readonly { name: string; vms: { job: string; index: number }[] }[]): string {
  for (const d of deployments) {
    if (!d.name.startsWith('dingo-postgresql')) continue;
    const vm = d.vms.find((v) => v.job.startsWith('router'));
    if (vm) return `${vm.index}.${vm.job}.${d.name}`;
  }
  return 'router';
}

/** One lager record: its source, its message after the source, its data. */
interface LagerRecord {
  source: string;
  message: string;
  data: Record<string, unknown>;
}

/** Lager's JSON line: epoch seconds with nanoseconds, the source, `source.message`, the data. */
export function lagerLine(at: Date, r: LagerRecord): string {
  const ms = at.getTime();
  const timestamp = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}000000`;
  return JSON.stringify({ timestamp, source: r.source, message: `${r.source}.${r.message}`, log_level: 1, data: r.data });
}

/** The broker's records of a create, in its generation's words, in order. */
export function provisionRecords(generation: BrokerGeneration, f: ProvisionFacts, session: string): LagerRecord[] {
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
    return [{ source: 'patroni-broker', message: 'cluster.provision.running.success', data: { cluster, 'instance-id': f.guid, session } }];
  }
  const source = 'dingo-postgresql-broker';
  const steps = [...f.nodes.map(() => 'AddNode'), 'WaitForAllMembers', 'WaitForLeader'];
  // provision() logs done as it returns; the cluster is then run in the background.
  return [
    { source, message: 'provision.start', data: { 'instance-id': f.guid, session } },
    { source, message: 'provision.done', data: { 'instance-id': f.guid, session } },
    {
      source,
      message: 'scheduler.run-cluster',
      data: {
        'instance-id': f.guid,
        'steps-count': steps.length,
        steps,
        features: { NodeCount: f.nodes.length, CellGUIDs: null, CloneFromServiceName: '' },
      },
    },
    ...f.nodes.flatMap((n) => [
      { source, message: 'add-node.perform', data: { 'instance-id': f.guid } },
      { source, message: 'add-node.perform.success', data: { member: n.nodeUuid } },
    ]),
  ];
}

/** The broker's lines for a create on its router's syslog. */
export function logProvision(world: SimWorld, generation: BrokerGeneration, f: ProvisionFacts, session: string): void {
  // world.syslog stamps its k-th line a second after the one before: lager's time is the same second.
  const clock = Date.parse(world.state.clock);
  const lines = provisionRecords(generation, f, session).map((r, k) => lagerLine(new Date(clock + (k + 1) * 1000), r));
  world.syslog(brokerHost(world.state.bosh.deployments), 'broker.stdout.log', lines);
}
