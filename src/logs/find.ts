/**
 * Finds the deleted instance a service name belonged to, and the facts of an instance
 * (containers, cells, archive prefix) in the platform's logs, with the lines that show it.
 */
import { StepFailed, UsageError } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import { readClusterdata, type ClusterdataRecord } from './clusterdata.js';
import { FactCollector } from './facts.js';
import type { InstanceState } from './instance-state.js';
import { INSTANCE_SCAN_TERMS, PHRASES, SCAN_TERMS } from './search-terms.js';
import { isValidDate } from '../adapters/log-dates.js';
import { numberSkippedLines, scanFiles } from '../systems/syslog-files.js';
import { isGuid } from '../adapters/log-payload.js';
import {
  type Candidate,
  type Confidence,
  type Evidence,
  type FindDeletedQuery,
  type FindInstanceQuery,
  type FindResult,
  type InstanceFacts,
  type NodeFact,
} from './types.js';
import { emptyReport, type LogSourceSpec, type SearchReport } from '../core/log-source.js';

export type { Candidate, FindResult, InstanceFacts, Evidence } from './types.js';
export type { LogSourceSpec, SearchReport } from '../core/log-source.js';

/** A cluster whose WAL uploads go on this long after a node removal was not deleted. */
const ALIVE_AFTER_MS = 15 * 60_000;
/** confd rewrites haproxy.cfg within seconds of a cluster's port being released. */
const HAPROXY_WINDOW_MS = 120_000;

async function collect(
  sources: LogSourceSpec,
  scanTerms: string[],
  since?: Date,
  until?: Date,
): Promise<{ facts: FactCollector; report: SearchReport }> {
  for (const [flag, d] of [
    ['since', since],
    ['until', until],
  ] as const) {
    if (d !== undefined && !isValidDate(d))
      throw new UsageError(`the search window's --${flag} is not a time that can be represented`, {
        hint: `give --${flag} as an ISO time (2016-03-17T06:00:00Z) or an age (3d, 12h)`,
      });
  }
  const terms = [...(sources.paths?.length ? scanTerms : []), ...(sources.es ? PHRASES : [])];
  const report = emptyReport(terms, since, until);
  const facts = new FactCollector(report, { since, until });
  const onHit = facts.add.bind(facts);
  if (sources.paths?.length) await scanFiles(sources.paths, scanTerms, report, onHit, { since });
  if (sources.es) {
    // The Elasticsearch client loads only when there is Elasticsearch to search.
    const { searchEs } = await import('../systems/elasticsearch.js');
    await searchEs(sources.es, PHRASES, report, onHit, { since, until });
  }
  facts.finish();
  await numberSkippedLines(report);
  report.notes.push(...facts.notes());
  return { facts, report };
}

export async function findDeletedInstance(q: FindDeletedQuery): Promise<FindResult> {
  const { facts, report } = await collect(q.sources, SCAN_TERMS, q.since, q.until);
  const records = q.clusterdata ? await readClusterdata(q.clusterdata, report) : [];
  if (q.clusterdata)
    report.notes.push(`read ${records.length} clusterdata record(s) from s3://${q.clusterdata.bucket}/${q.clusterdata.prefix ?? ''}`);
  const spaceGuid = q.spaceGuid ?? (isGuid(q.space) ? q.space : undefined);
  const orgGuid = isGuid(q.org) ? q.org : undefined;
  if ((q.space && !isGuid(q.space) && !q.spaceGuid) || (q.org && !isGuid(q.org)))
    report.notes.push(
      'org and space names never appear in broker logs or clusterdata (only their GUIDs); pass the space GUID to filter by space',
    );

  const recordsByGuid = new Map<string, ClusterdataRecord>();
  for (const r of records) recordsByGuid.set(r.instanceGuid, r);
  const guids = new Set<string>([...facts.instances.keys(), ...recordsByGuid.keys()]);
  const drafts: Draft[] = [];
  const excluded = { otherName: 0, otherSpace: 0 };
  for (const guid of guids) {
    const d = draft(facts, facts.instances.get(guid) ?? facts.instance(guid), recordsByGuid.get(guid) ?? null, q.serviceName);
    if (!d.deleted && !d.record) continue;
    if (d.name !== null && d.name !== q.serviceName) {
      if (d.deleted) excluded.otherName += 1;
      continue;
    }
    if ((spaceGuid && d.spaceGuid && d.spaceGuid !== spaceGuid) || (orgGuid && d.orgGuid && d.orgGuid !== orgGuid)) {
      excluded.otherSpace += 1;
      continue;
    }
    drafts.push(d);
  }
  if (excluded.otherName) report.notes.push(`${excluded.otherName} deleted instance(s) named otherwise were left out`);
  if (excluded.otherSpace) report.notes.push(`${excluded.otherSpace} instance(s) of another org or space were left out`);

  drafts.sort((a, b) => b.tier - a.tier || b.nameRank - a.nameRank || b.recency - a.recency);
  const top = drafts.filter((d) => d.tier === 3);
  const unnamed = drafts.filter((d) => d.tier === 2);
  const candidates = drafts.map((d) => {
    let confidence: Confidence = 'low';
    if (d.tier === 3) confidence = d === top[0] ? 'high' : 'medium';
    else if (d.tier === 2 && top.length === 0 && unnamed.length === 1) confidence = 'medium';
    if (d.tier === 3 && d !== top[0])
      d.evidence.push({ line: '', source: '', why: `an earlier instance named "${q.serviceName}"; a later one was deleted after it` });
    return toCandidate(d, confidence);
  });
  return secrets.redactValue({ candidates, searched: report });
}

interface Draft {
  guid: string;
  name: string | null;
  nameFrom: 'clusterdata' | 'logs' | null;
  spaceGuid: string | null;
  orgGuid: string | null;
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

function draft(facts: FactCollector, s: InstanceState, record: ClusterdataRecord | null, wanted: string): Draft {
  const evidence: Evidence[] = [];
  const logged = [...s.names].sort((a, b) => b.time - a.time)[0] ?? null;
  const name = record?.serviceName ?? logged?.name ?? null;
  if (record) evidence.push(record.evidence);
  if (logged) evidence.push(logged.evidence);

  // Removals followed by more WAL were node replacements, whatever the broker generation.
  let deletions = s.deletions.filter((d) => !replacedBefore(s, d)).sort((a, b) => a.time - b.time);
  const gone = replacedNodes(s);
  const last = deletions[deletions.length - 1];
  if (last && s.lastWalUpload !== null && s.lastWalUpload > last.time + ALIVE_AFTER_MS) {
    // WAL kept flowing after the last removal: a node was replaced, the cluster lived on.
    evidence.push({ ...s.lastWalEvidence!, why: 'WAL uploads continued after the node removals, so the cluster was not deleted then' });
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
  if (s.archiveEvidence) evidence.push(s.archiveEvidence);
  if (s.lastWalEvidence && deleted) evidence.push(s.lastWalEvidence);
  const nodes = nodeFacts(facts, s, evidence).filter((n) => !gone.has(n.nodeUuid));
  const named = name === wanted;
  const tier = deleted ? (named ? 3 : 2) : 1;
  return {
    guid: s.guid,
    name,
    nameFrom: record?.serviceName ? 'clusterdata' : logged ? 'logs' : null,
    spaceGuid: record?.spaceGuid ?? s.spaceGuid,
    orgGuid: record?.orgGuid ?? s.orgGuid,
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
  return s.lastWalUpload !== null && d.time + ALIVE_AFTER_MS < s.lastWalUpload;
}

/** Nodes replaced while the cluster lived on: gone before it was deleted. */
function replacedNodes(s: InstanceState): Set<string | undefined> {
  return new Set([...s.deletions.filter((d) => replacedBefore(s, d)), ...s.nodeRemovals].map((d) => d.node));
}

function nodeFacts(facts: FactCollector, s: InstanceState, evidence: Evidence[]): NodeFact[] {
  const nodes: NodeFact[] = [];
  for (const [node, brokerCell] of s.nodes) {
    const pub = facts.nodeCells.get(node);
    if (pub) evidence.push(pub.evidence);
    nodes.push({ nodeUuid: node, cell: pub?.ip ?? brokerCell ?? facts.nodeHosts.get(node) ?? null });
  }
  evidence.push(...s.nodeEvidence.slice(0, 3));
  return nodes;
}

function toCandidate(d: Draft, confidence: Confidence): Candidate {
  if (!d.deleted) d.evidence.push({ line: '', source: '', why: 'no deletion of this instance was found in the logs searched' });
  return {
    instanceGuid: d.guid,
    serviceName: d.name,
    nameFrom: d.nameFrom,
    spaceGuid: d.spaceGuid,
    deletedAt: isoOrNull(d.deletedAt),
    archivePrefix: d.state.archivePrefix,
    lastWalUploadAt: isoOrNull(d.state.lastWalUpload),
    nodes: d.nodes,
    confidence,
    evidence: dedupeEvidence(d.evidence),
  };
}

/** A time of the facts as ISO text; the facts only hold times that passed the parsers' checks. */
function isoOrNull(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return isValidDate(d) ? d.toISOString() : null;
}

function dedupeEvidence(list: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.source}\n${e.line}\n${e.why}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The facts of one instance (usually the NEW one): its containers, their cells, its archive. */
export async function findInstance(q: FindInstanceQuery): Promise<InstanceFacts> {
  const { facts, report } = await collect(q.sources, INSTANCE_SCAN_TERMS, q.since, q.until);
  const s = facts.instances.get(q.instanceGuid) ?? facts.instance(q.instanceGuid);
  // Containers that never logged the GUID in full: newer images prefix lines with its first six characters.
  const evidence: Evidence[] = [];
  for (const [node, scope] of facts.nodeScopes) if (scope.guid === q.instanceGuid && !s.nodes.has(node)) s.nodes.set(node, null);
  const gone = replacedNodes(s);
  const nodes = nodeFacts(facts, s, evidence).filter((n) => !gone.has(n.nodeUuid));
  const createdMs = s.provisionedAt ?? s.containerCreatedAt;
  const all = [s.provisionEvidence, s.archiveEvidence, s.lastWalEvidence, ...evidence].filter((e): e is Evidence => e !== null);
  return secrets.redactValue({
    instanceGuid: q.instanceGuid,
    archivePrefix: s.archivePrefix,
    lastWalUploadAt: isoOrNull(s.lastWalUpload),
    nodes,
    createdAt: isoOrNull(createdMs),
    evidence: dedupeEvidence(all),
    searched: report,
  });
}

/** One paragraph: what was searched, for messages and the "nothing found" error. */
export function describeSearch(r: SearchReport): string {
  const parts: string[] = [];
  const read = r.files.filter((f) => !f.note?.startsWith('not read'));
  if (r.files.length) parts.push(`${read.length} file(s), ${(r.bytes / 1e6).toFixed(1)} MB`);
  for (const q of r.esQueries) parts.push(`Elasticsearch index ${q.index} (${q.hits} hit(s) in ${q.pages} page(s))`);
  const window =
    r.window.since || r.window.until ? `between ${r.window.since ?? 'the beginning'} and ${r.window.until ?? 'now'}` : 'over all time';
  const bad = Object.entries(r.badInput)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return `searched ${parts.join(' and ') || 'nothing'} ${window}, ${r.matchedLines} matching line(s)${bad.length ? `; skipped: ${bad.join(', ')}` : ''}`;
}

export function noCandidateError(serviceName: string, r: SearchReport): StepFailed {
  const widen: string[] = [];
  if (r.window.since || r.window.until) widen.push('widen or drop --since/--until');
  widen.push('add older rotated files (*.log.N.gz) or the folder that holds them');
  widen.push('include the router (broker, confd) and cell (docker) logs');
  if (r.esQueries.length === 0) widen.push('search Logsearch with --es-url');
  if (!r.notes.some((n) => n.includes('clusterdata record(s)'))) widen.push("give the broker's clusterdata bucket with --clusterdata");
  if (r.notes.some((n) => n.includes('named otherwise'))) widen.push('check the spelling of the service name');
  return new StepFailed(`no deleted instance named "${serviceName}" was found: ${describeSearch(r)}`, {
    hint: `To widen the search: ${widen.join('; ')}. Then run again (or resume).`,
  });
}
