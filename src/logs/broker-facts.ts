/**
 * Folding the broker's lager lines into instance facts: deletions (deprovision, node removals),
 * names from recreation data, spaces, provisioning and nodes with their cells.
 */
import { isGuid } from '../core/guid.js';
import { type BrokerEvent } from '../adapters/log-events.js';
import { isRecord, recordAt } from '../core/json.js';
import { addNode, sizeRecorded, type EvidenceOf, type InstanceState } from './instance-state.js';

/** A non-empty string of a broker record's data, or null. */
function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The state of an instance, created on first mention. */
export type InstanceOf = (guid: string) => InstanceState;

/** Folds one broker line; a deletion outside the search window is not counted. */
export function foldBroker(e: BrokerEvent, ms: number, ev: EvidenceOf, inWindow: boolean, instance: InstanceOf): void {
  const a = e.action;
  const d = e.data;
  // The broker's sessions carry the instance as their data says it: deprovision's as `instanceID`
  // (dingo-postgresql-broker broker/deprovision.go, newLoggingSession in broker/broker.go), a node's as `instance-id`.
  const guid = str(d['instance-id']) ?? str(d.instance_id) ?? str(d.instanceID) ?? str(d.clusterID);
  if (a.endsWith('restore.done')) {
    restoreDone(e, ms, ev, instance);
    return;
  }
  if (a.endsWith('provision.running.success')) {
    oldProvision(e, ms, ev, instance);
    return;
  }
  if (!guid || !isGuid(guid)) return;
  const s = instance(guid);
  s.generations.add(e.source);
  const deletion =
    a.endsWith('deprovision.start') || a.endsWith('remove-random-node.perform') || (a.endsWith('remove-node.perform') && isOld(e));
  if (deletion && !inWindow) return;
  if (a.endsWith('deprovision.start')) {
    s.deletions.push({ time: ms, evidence: ev('the broker started deprovisioning this instance') });
  } else if (a.endsWith('remove-random-node.perform') || a.endsWith('remove-node.perform')) {
    nodeRemoved(s, e, ms, ev);
  } else if (a.endsWith('add-node.perform')) {
    brokerNode(s, d, ev);
  } else if (a.endsWith('update-recreation-data.saved') && typeof d.name === 'string') {
    s.names.push({
      name: d.name,
      time: ms,
      how: 'update-recreation-data',
      evidence: ev(`the broker saved the service name "${d.name}" for this instance`),
    });
  } else if (a.endsWith('scheduler.run-cluster')) {
    // v0.9+ plans every change of a cluster's size with its features (broker/structs/structs.go
    // ClusterFeatures): lager writes the field's name, or its JSON tag in the versions that gave it one.
    const f = recordAt(d, 'features');
    const n = f?.NodeCount ?? f?.node_count ?? f?.['node-count'];
    sizeRecorded(s, n, ms, () => ev(`the broker planned this cluster with ${String(n)} node(s) (scheduler.run-cluster)`));
  } else if (a.endsWith('.provision.start') || a === 'provision.start') {
    provisioned(s, ms, ev, 'the broker started provisioning this instance');
  }
}

/**
 * remove-random-node deletes a cluster node by node. remove-node did too in the March 2016 broker;
 * later brokers use it only to replace one node, which is not a deletion.
 */
function nodeRemoved(s: InstanceState, e: BrokerEvent, ms: number, ev: EvidenceOf): void {
  const node = str(e.data['node-uuid']) ?? undefined;
  if (e.action.endsWith('remove-random-node.perform')) {
    s.deletions.push({ time: ms, node, evidence: ev('the broker removed a node while deleting the cluster (remove-random-node)') });
  } else {
    const old = isOld(e);
    const why = old
      ? 'the broker removed a node (remove-node; the 2016 broker deletes clusters this way)'
      : 'the broker replaced a node (remove-node)';
    (old ? s.deletions : s.nodeRemovals).push({ time: ms, node, evidence: ev(why) });
  }
  brokerNode(s, e.data, ev);
}

function brokerNode(s: InstanceState, d: Record<string, unknown>, ev: EvidenceOf): void {
  const node = str(d['node-uuid']);
  if (!node) return;
  const cell = str(d.backend) ?? str(d.cell) ?? null;
  addNode(s, node, cell, ev(`node ${node} of this instance${cell ? ` on cell ${cell}` : ''}`));
}

/** The earliest provisioning seen is the instance's. */
function provisioned(s: InstanceState, ms: number, ev: EvidenceOf, why: string): void {
  if (s.provisionedAt === null || ms < s.provisionedAt) {
    s.provisionedAt = ms;
    s.provisionEvidence = ev(why);
  }
}

function restoreDone(e: BrokerEvent, ms: number, ev: EvidenceOf, instance: InstanceOf): void {
  const data = e.data.clusterData ?? e.data.cluster_data ?? e.data;
  const cd = isRecord(data) ? data : {};
  const s = recordedInstance(cd, e, instance, ev, "the broker's recreation data (restore.done)");
  const name = str(cd.service_instance_name);
  if (s && name)
    s.names.push({ name, time: ms, how: 'restore.done', evidence: ev(`the broker's recreation data names this instance "${name}"`) });
}

function oldProvision(e: BrokerEvent, ms: number, ev: EvidenceOf, instance: InstanceOf): void {
  const cluster = recordAt(e.data, 'cluster') ?? {};
  const s = recordedInstance(cluster, e, instance, ev, "the broker's provision record");
  if (!s) return;
  provisioned(s, ms, ev, 'the broker provisioned this instance in this space');
  const n = cluster.node_count;
  sizeRecorded(s, n, ms, () => ev(`the broker's provision record gives this cluster ${String(n)} node(s) (node_count)`));
}

/**
 * The instance a broker's cluster record names, with the org and space it gives (the line is kept
 * as the evidence of them); null without a GUID.
 */
function recordedInstance(
  record: Record<string, unknown>,
  e: BrokerEvent,
  instance: InstanceOf,
  ev: EvidenceOf,
  what: string,
): InstanceState | null {
  const guid = str(record.instance_id);
  if (!guid || !isGuid(guid)) return null;
  const s = instance(guid);
  s.generations.add(e.source);
  const space = str(record.space_guid);
  s.orgGuid = str(record.organization_guid) ?? s.orgGuid;
  s.spaceGuid = space ?? s.spaceGuid;
  if (space) {
    s.spaceFrom = `${what} in the logs`;
    s.spaceEvidence = ev(`${what} puts this instance in space ${space}`);
  }
  return s;
}

/** The March 2016 broker, which deleted clusters node by node with remove-node. */
function isOld(e: BrokerEvent): boolean {
  return e.source === 'patroni-broker' || e.action.startsWith('cluster.');
}
