/**
 * What the logs say about one instance: deletions, names, space, archive, WAL uploads and nodes,
 * with the evidence for each. Evidence is capped per kind, so memory does not grow with the logs.
 */
import type { Evidence } from './types.js';

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
  archivePrefix: string | null;
  archiveEvidence: Evidence | null;
  lastWalUpload: number | null;
  lastWalEvidence: Evidence | null;
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
    archivePrefix: null,
    archiveEvidence: null,
    lastWalUpload: null,
    lastWalEvidence: null,
    baseBackups: 0,
    walPushes: 0,
    nodes: new Map(),
    nodeEvidence: [],
    containerCreatedAt: null,
    firstSeen: null,
    generations: new Set(),
  };
}

/** Records a node of the instance; a cell learnt later fills one that was unknown. */
export function addNode(s: InstanceState, node: string, cell: string | null, evidence: Evidence): void {
  const known = s.nodes.get(node);
  if (known === undefined || (known === null && cell)) s.nodes.set(node, cell);
  if (known === undefined && s.nodeEvidence.length < EVIDENCE_PER_KIND * 2) s.nodeEvidence.push(evidence);
}
