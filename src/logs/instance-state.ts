/**
 * What the logs say about one instance: deletions, names, space, archive, WAL uploads and nodes,
 * with the evidence for each. Evidence is capped per kind, so memory does not grow with the logs.
 */
import type { ClusterSize, Evidence, NodeFact } from './types.js';

/** Evidence from the line being folded, with why it counts. */
export type EvidenceOf = (why: string) => Evidence;

const EVIDENCE_PER_KIND = 3;

export interface Timed {
  time: number;
  evidence: Evidence;
  /** The node a removal removed. */
  node?: string;
}

export interface InstanceState {
  guid: string;
  /** Deletion signals: deprovision.start, remove-random-node.perform, old remove-node.perform. */
  deletions: Timed[];
  /** Replacements of one node by newer brokers (remove-node.perform); not a deletion. */
  nodeRemovals: Timed[];
  names: { name: string; time: number; how: string; evidence: Evidence }[];
  orgGuid: string | null;
  spaceGuid: string | null;
  /** Which broker record gave the org and space, and its line, quoted as evidence of them. */
  spaceFrom: string | null;
  spaceEvidence: Evidence | null;
  provisionedAt: number | null;
  provisionEvidence: Evidence | null;
  /**
   * Every archive its wal-e lines name, with the first line that named each. wal-e writes to one, from the
   * container's environment (WAL_S3_BUCKET and PATRONI_SCOPE); a tenant's PostgreSQL writes lines after the
   * same prefix, and a platform whose WAL bucket changed names two: several are the operator's to decide.
   */
  archives: Map<string, Evidence>;
  /** The latest WAL upload wal-e said it completed, to any archive named. */
  lastWalUpload: number | null;
  lastWalEvidence: Evidence | null;
  /** The latest push-wal line, begun or completed: wal-e ran, so the cluster lived then (a push after a deletion shows it lived on). */
  lastWalPush: number | null;
  lastWalPushEvidence: Evidence | null;
  baseBackups: number;
  walPushes: number;
  /** Nodes and the cell the broker gave for them (backend IP or cell id). */
  nodes: Map<string, string | null>;
  nodeEvidence: Evidence[];
  /** Time of the first container created for the instance (cf-containers-broker). */
  containerCreatedAt: number | null;
  /** Time of the earliest line that named the instance, of any kind. */
  firstSeen: number | null;
  generations: Set<string>;
  /** The latest size the broker recorded for the cluster (its provision record's node_count, a run-cluster's NodeCount). */
  sized: { nodes: number; time: number; evidence: Evidence } | null;
}

export function newInstanceState(guid: string): InstanceState {
  return {
    guid,
    deletions: [],
    nodeRemovals: [],
    names: [],
    orgGuid: null,
    spaceGuid: null,
    spaceFrom: null,
    spaceEvidence: null,
    provisionedAt: null,
    provisionEvidence: null,
    archives: new Map(),
    lastWalUpload: null,
    lastWalEvidence: null,
    lastWalPush: null,
    lastWalPushEvidence: null,
    baseBackups: 0,
    walPushes: 0,
    nodes: new Map(),
    nodeEvidence: [],
    containerCreatedAt: null,
    firstSeen: null,
    generations: new Set(),
    sized: null,
  };
}

/** What the instance's wal-e lines name: every archive, and the one taken when they name exactly one (else null). */
export function archivesNamed(s: InstanceState): { archivePrefix: string | null; archivePrefixes: string[] } {
  const archivePrefixes = [...s.archives.keys()];
  return { archivePrefix: archivePrefixes.length === 1 ? archivePrefixes[0]! : null, archivePrefixes };
}

/** The evidence of the archives the instance's wal-e lines name: its one archive's, else each of several's, saying so. */
export function archivesEvidence(s: InstanceState): Evidence[] {
  const all = [...s.archives.values()];
  if (all.length <= 1) return all;
  return all.map((e) => ({
    ...e,
    why: `${e.why}, one of ${String(all.length)} archives its lines name: a tenant's PostgreSQL writes lines after the same prefix, and a WAL bucket that changed names two`,
  }));
}

/** Records a node of the instance; a cell learnt later fills one that was unknown. */
export function addNode(s: InstanceState, node: string, cell: string | null, evidence: Evidence): void {
  const known = s.nodes.get(node);
  if (known === undefined || (known === null && cell)) s.nodes.set(node, cell);
  if (known === undefined && s.nodeEvidence.length < EVIDENCE_PER_KIND * 2) s.nodeEvidence.push(evidence);
}

/** Records the size the broker gave the cluster at this time; the latest record stands. */
export function sizeRecorded(s: InstanceState, nodes: unknown, time: number, evidence: () => Evidence): void {
  if (typeof nodes !== 'number' || !Number.isInteger(nodes) || nodes < 1 || nodes > 99) return;
  if (s.sized === null || time >= s.sized.time) s.sized = { nodes, time, evidence: evidence() };
}

/**
 * What the logs say of the cluster's size: the nodes seen, the size the broker last recorded, and the
 * nodes its deletion removed one by one (each removal names its node, so they are all of them).
 */
export function clusterSize(s: InstanceState, nodes: readonly NodeFact[]): ClusterSize {
  const removed = new Set(s.deletions.map((d) => d.node));
  return {
    seen: nodes.length,
    recorded: s.sized ? { nodes: s.sized.nodes, evidence: s.sized.evidence } : null,
    removedAtDeletion: nodes.filter((n) => removed.has(n.nodeUuid)).length,
  };
}

/** The lines of the last WAL upload completed and, when later, of the last one begun. */
export function lastWalEvidence(s: InstanceState): Evidence[] {
  const out = s.lastWalEvidence ? [s.lastWalEvidence] : [];
  if (s.lastWalPushEvidence && (s.lastWalUpload === null || s.lastWalPush! > s.lastWalUpload)) out.push(s.lastWalPushEvidence);
  return out;
}

/** What the logs say of the last WAL upload: completed, and a later one begun but not seen completed. */
export function lastWalText(f: { lastWalUploadAt: string | null; lastWalPushAt: string | null }): string | null {
  const done = f.lastWalUploadAt;
  const begun = f.lastWalPushAt;
  if (done && (!begun || begun <= done)) return `last WAL upload ${done}`;
  if (done) return `last WAL upload ${done}, one begun ${begun} not seen completed`;
  if (begun) return `a WAL upload begun ${begun}, none seen completed`;
  return null;
}
