/**
 * A candidate for the deleted instance, drafted from its facts: whether and when it was deleted
 * (a removal followed by more WAL was a node replaced, not a deletion), its name and where the
 * name came from, its nodes and cells, and the lines that show each.
 */
import { isValidDate } from '../adapters/log-dates.js';
import type { ClusterdataRecord } from './clusterdata.js';
import type { FactCollector } from './facts.js';
import { archivesEvidence, archivesNamed, clusterSize, lastWalEvidence, type InstanceState } from './instance-state.js';
import type { Candidate, Confidence, Evidence, NodeFact } from './types.js';

/** A cluster whose WAL uploads go on this long after a node removal was not deleted. */
const ALIVE_AFTER_MS = 15 * 60_000;
/** confd rewrites haproxy.cfg within seconds of a cluster's port being released. */
const HAPROXY_WINDOW_MS = 120_000;

export interface Draft {
  guid: string;
  name: string | null;
  nameFrom: 'clusterdata' | 'logs' | null;
  spaceGuid: string | null;
  orgGuid: string | null;
  /** Which trusted source gives the space, or null. */
  spaceFrom: string | null;
  deleted: boolean;
  deletedAt: number | null;
  record: ClusterdataRecord | null;
  /** 3: named and deleted, 2: deleted without a known name, 1: named but no deletion seen. */
  tier: number;
  nameRank: number;
  recency: number;
  state: InstanceState;
  nodes: NodeFact[];
  evidence: Evidence[];
}

export function draft(facts: FactCollector, s: InstanceState, record: ClusterdataRecord | null, wanted: string): Draft {
  const evidence: Evidence[] = [];
  const logged = [...s.names].sort((a, b) => b.time - a.time)[0] ?? null;
  const name = record?.serviceName ?? logged?.name ?? null;
  if (record) evidence.push(record.evidence);
  if (logged) evidence.push(logged.evidence);
  const recordSpace = record?.spaceGuid ?? null;
  if (!recordSpace && s.spaceEvidence) evidence.push(s.spaceEvidence);

  // Removals followed by more WAL were node replacements, whatever the broker generation.
  let deletions = s.deletions.filter((d) => !replacedBefore(s, d)).sort((a, b) => a.time - b.time);
  const gone = replacedNodes(s);
  const last = deletions[deletions.length - 1];
  if (last && s.lastWalPush !== null && s.lastWalPush > last.time + ALIVE_AFTER_MS) {
    // WAL kept flowing after the last removal: a node was replaced, the cluster lived on.
    evidence.push({ ...s.lastWalPushEvidence!, why: 'WAL pushes continued after the node removals, so the cluster was not deleted then' });
    deletions = [];
  }
  const deleted = deletions.length > 0;
  const deletedAt = deleted ? deletions[deletions.length - 1]!.time : null;
  if (deleted) {
    evidence.push(deletions[0]!.evidence);
    if (deletions.length > 1) evidence.push(deletions[deletions.length - 1]!.evidence);
    const reload = facts.haproxyUpdates.find((h) => h.time >= deletedAt! && h.time - deletedAt! <= HAPROXY_WINDOW_MS);
    if (reload)
      evidence.push({
        ...reload.evidence,
        why: `haproxy was reloaded ${Math.round((reload.time - deletedAt!) / 1000)} s after the last node was removed (its port was released)`,
      });
  }
  if (s.provisionEvidence) evidence.push(s.provisionEvidence);
  evidence.push(...archivesEvidence(s));
  if (deleted) evidence.push(...lastWalEvidence(s));
  const nodes = nodeFacts(facts, s, evidence).filter((n) => !gone.has(n.nodeUuid));
  const named = name === wanted;
  const tier = deleted ? (named ? 3 : 2) : 1;
  return {
    guid: s.guid,
    name,
    nameFrom: record?.serviceName ? 'clusterdata' : logged ? 'logs' : null,
    spaceGuid: recordSpace ?? s.spaceGuid,
    orgGuid: record?.orgGuid ?? s.orgGuid,
    spaceFrom: recordSpace ? "the broker's clusterdata record" : s.spaceGuid ? s.spaceFrom : null,
    deleted,
    deletedAt,
    record,
    tier,
    nameRank: record?.serviceName ? 2 : logged ? 1 : 0,
    recency: deletedAt ?? record?.lastModified.getTime() ?? s.provisionedAt ?? 0,
    state: s,
    nodes,
    evidence,
  };
}

/** A removal followed by more WAL: a node replaced while the cluster lived on. */
function replacedBefore(s: InstanceState, d: { time: number }): boolean {
  return s.lastWalPush !== null && d.time + ALIVE_AFTER_MS < s.lastWalPush;
}

/** Nodes replaced while the cluster lived on: gone before it was deleted. */
export function replacedNodes(s: InstanceState): Set<string | undefined> {
  return new Set([...s.deletions.filter((d) => replacedBefore(s, d)), ...s.nodeRemovals].map((d) => d.node));
}

export function nodeFacts(facts: FactCollector, s: InstanceState, evidence: Evidence[]): NodeFact[] {
  const nodes: NodeFact[] = [];
  for (const [node, brokerCell] of s.nodes) {
    const pub = facts.nodeCells.get(node);
    if (pub) evidence.push(pub.evidence);
    nodes.push({ nodeUuid: node, cell: pub?.ip ?? brokerCell ?? facts.nodeHosts.get(node) ?? null });
  }
  evidence.push(...s.nodeEvidence.slice(0, 3));
  return nodes;
}

/** A trusted source puts the draft in the space given (none given: never). */
export function inSpace(d: Draft, spaceGuid: string | undefined): boolean {
  return spaceGuid !== undefined && d.spaceGuid === spaceGuid && d.spaceFrom !== null;
}

export function toCandidate(d: Draft, confidence: Confidence, spaceGuid?: string): Candidate {
  if (!d.deleted) d.evidence.push({ line: '', source: '', why: 'no deletion of this instance was found in the logs searched' });
  return {
    instanceGuid: d.guid,
    serviceName: d.name,
    nameFrom: d.nameFrom,
    spaceGuid: d.spaceGuid,
    orgGuid: d.orgGuid,
    spaceFrom: d.spaceFrom,
    inGivenSpace: inSpace(d, spaceGuid),
    createdAt: isoOrNull(d.state.provisionedAt ?? d.state.containerCreatedAt),
    deletedAt: isoOrNull(d.deletedAt),
    ...archivesNamed(d.state),
    lastWalUploadAt: isoOrNull(d.state.lastWalUpload),
    lastWalPushAt: isoOrNull(d.state.lastWalPush),
    nodes: d.nodes,
    size: clusterSize(d.state, d.nodes),
    confidence,
    evidence: dedupeEvidence(d.evidence),
  };
}

/** A time of the facts as ISO text; the facts only hold times that passed the parsers' checks. */
export function isoOrNull(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return isValidDate(d) ? d.toISOString() : null;
}

export function dedupeEvidence(list: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.source}\n${e.line}\n${e.why}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
