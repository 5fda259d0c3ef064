/**
 * Finds the deleted instance a service name belonged to, and the facts of an instance
 * (containers, cells, archive prefix) in the platform's logs, with the lines that show it.
 */
import { StepFailed, UsageError } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import { draft, dedupeEvidence, inSpace, isoOrNull, nodeFacts, replacedNodes, toCandidate, type Draft } from './candidates.js';
import { readClusterdata, type ClusterdataRecord } from './clusterdata.js';
import { FactCollector } from './facts.js';
import { archivesEvidence, archivesNamed, clusterSize, lastWalEvidence } from './instance-state.js';
import { DESCRIBING_PHRASES, INSTANCE_SCAN_TERMS, PHRASES, SCAN_TERMS } from './search-terms.js';
import { isValidDate } from '../adapters/log-dates.js';
import { NOT_READ_BEFORE_SINCE } from '../systems/syslog/index.js';
import { isGuid } from '../core/guid.js';
import {
  type Confidence,
  type Evidence,
  type FindDeletedQuery,
  type FindInstanceQuery,
  type FindResult,
  type InstanceFacts,
  type LeftOut,
} from './types.js';
import { emptyReport, type LogSource, type ScanTerm, type SearchReport } from '../core/log-source.js';

export type { Candidate, FindResult, InstanceFacts, Evidence } from './types.js';
export type { SearchReport } from '../core/log-source.js';

/** Every fact the sources hold about instances, read in one pass. */
export async function collect(
  sources: LogSource,
  scanTerms: readonly ScanTerm[],
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
  const report = emptyReport([], since, until);
  const facts = new FactCollector(report, { since, until });
  await sources.scan({ terms: scanTerms, phrases: PHRASES, describing: DESCRIBING_PHRASES, since, until }, report, facts.add.bind(facts));
  facts.finish();
  await sources.numberSkipped(report);
  report.notes.push(...facts.notes());
  report.warnings.push(...facts.warnings());
  return { facts, report };
}

/** The evidence line of a candidate whose space no record gives. */
export const NO_SPACE_RECORD = 'no clusterdata record or broker record of its org and space was found';

export async function findDeletedInstance(q: FindDeletedQuery): Promise<FindResult> {
  const redactor = q.redactor;
  const { facts, report } = await collect(q.sources, SCAN_TERMS, q.since, q.until);
  const records = q.clusterdata ? await readClusterdata(q.clusterdata, report, redactor) : [];
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
  const otherSpace: LeftOut[] = [];
  let otherName = 0;
  for (const guid of guids) {
    const d = draft(facts, facts.instances.get(guid) ?? facts.instance(guid), recordsByGuid.get(guid) ?? null, q.serviceName);
    if (!d.deleted && !d.record) continue;
    if (d.name !== null && d.name !== q.serviceName) {
      if (d.deleted) otherName += 1;
      continue;
    }
    const elsewhere = otherOrgOrSpace(d, spaceGuid, orgGuid);
    if (elsewhere) {
      if (d.deleted) otherSpace.push({ instanceGuid: d.guid, serviceName: d.name, why: elsewhere });
      continue;
    }
    drafts.push(d);
  }
  if (otherName) report.notes.push(`${otherName} deleted instance(s) named otherwise were left out`);
  if (otherSpace.length)
    report.notes.push(
      `${otherSpace.length} deleted instance(s) of another org or space were left out: another tenant's instance is never the user's`,
    );

  // Proven name first, then proven space (when one is given), then how the name is proven, then the newest.
  const here = (d: Draft) => (inSpace(d, spaceGuid) ? 1 : 0);
  drafts.sort((a, b) => b.tier - a.tier || here(b) - here(a) || b.nameRank - a.nameRank || b.recency - a.recency);
  const top = drafts.filter((d) => d.tier === 3);
  const unnamed = drafts.filter((d) => d.tier === 2);
  const successors = top[0] ? possibleSuccessors(top[0], unnamed, q.serviceName) : [];
  // With a space given, a name alone proves nothing: another tenant may have used it. Without one,
  // two instances of the name whose spaces are not proven the same may be two tenants'.
  const spaceUnproven = spaceGuid !== undefined ? top.some((d) => !inSpace(d, spaceGuid)) : rivalSpaces(top);
  if (spaceGuid === undefined && spaceUnproven)
    top[0]!.evidence.push({
      line: '',
      source: '',
      why: `${top.length - 1} other deleted instance(s) named "${q.serviceName}" (${top
        .slice(1)
        .map((d) => `${d.guid}, ${d.spaceGuid ? `space ${d.spaceGuid}` : 'its space unknown'}`)
        .join(
          '; ',
        )}) may be another tenant's, and no space was given to tell them apart: give --space-guid (cf space SPACE --guid prints it)`,
    });
  const candidates = drafts.map((d) => {
    let confidence: Confidence = 'low';
    if (d.tier === 3) confidence = d === top[0] && successors.length === 0 && !spaceUnproven ? 'high' : 'medium';
    else if (d.tier === 2 && ((top.length === 0 && unnamed.length === 1) || successors.includes(d))) confidence = 'medium';
    if (d.tier === 3 && d !== top[0] && d.recency <= top[0]!.recency)
      d.evidence.push({ line: '', source: '', why: `an earlier instance named "${q.serviceName}"; a later one was deleted after it` });
    if (spaceGuid !== undefined && d.spaceFrom === null)
      d.evidence.push({ line: '', source: '', why: `${NO_SPACE_RECORD}: nothing proves it belonged to space ${spaceGuid}` });
    return toCandidate(d, confidence, spaceGuid);
  });
  const unread = report.files.filter((f) => f.note === NOT_READ_BEFORE_SINCE).length;
  if (unread > 0 && candidates.some((c) => c.serviceName === null))
    report.notes.push(
      `the broker logs a service name only when the instance is provisioned, and ${unread} file(s) last written before --since were not read: widen --since (or leave it out) to learn the names`,
    );
  keepBucketsVisible(
    candidates.flatMap((c) => c.archivePrefixes),
    redactor,
  );
  return redactor.redactValue({ candidates, otherSpace, searched: report });
}

/** Why a trusted source puts the instance in another org or space than the ones given, or null. */
/** Whether two or more instances proven by name may lie in different spaces: one's space is unknown, or two differ. */
function rivalSpaces(top: Draft[]): boolean {
  if (top.length < 2) return false;
  const spaces = new Set(top.map((d) => (d.spaceFrom === null ? null : d.spaceGuid)));
  return spaces.has(null) || spaces.size > 1;
}

function otherOrgOrSpace(d: Draft, spaceGuid: string | undefined, orgGuid: string | undefined): string | null {
  const from = d.spaceFrom ?? 'a broker record';
  if (spaceGuid && d.spaceGuid && d.spaceGuid !== spaceGuid)
    return `${from} puts it in space ${d.spaceGuid}, not the user's space ${spaceGuid}: another tenant's instance is never restored as the user's`;
  if (orgGuid && d.orgGuid && d.orgGuid !== orgGuid)
    return `${from} puts it in org ${d.orgGuid}, not the user's org ${orgGuid}: another tenant's instance is never restored as the user's`;
  return null;
}

/** The buckets of the archives found are names, never secrets: a run and its operator read by them. */
function keepBucketsVisible(prefixes: (string | null)[], redactor: Redactor): void {
  for (const p of prefixes) {
    const bucket = p ? /^[a-z0-9+]+:\/\/([^/]+)\//.exec(p)?.[1] : undefined;
    if (bucket) redactor.keepVisible(bucket);
  }
}

/**
 * Deleted instances of unknown name that first appear in the logs after the named one was deleted:
 * the name may have been given to one of them since (lines of its provisioning missing from the
 * logs searched), so the named one is not settled. Each side's evidence says so.
 */
function possibleSuccessors(named: Draft, unnamed: Draft[], serviceName: string): Draft[] {
  const deletedAt = named.deletedAt;
  if (deletedAt === null) return [];
  const found = unnamed.filter(
    (d) =>
      d.deletedAt !== null &&
      d.deletedAt > deletedAt &&
      d.state.firstSeen !== null &&
      d.state.firstSeen > deletedAt &&
      !(d.spaceGuid && named.spaceGuid && d.spaceGuid !== named.spaceGuid),
  );
  for (const d of found) {
    const why = `first seen ${isoOrNull(d.state.firstSeen)}, after ${named.guid} ("${serviceName}") was deleted, and deleted itself at ${isoOrNull(d.deletedAt)}; the logs searched do not show its name: if "${serviceName}" was given to it, this is the instance to restore`;
    d.evidence.push({ line: '', source: '', why });
    named.evidence.push({
      line: '',
      source: '',
      why: `${d.guid}, whose name the logs searched do not show, appeared after this instance was deleted and was deleted later (${isoOrNull(d.deletedAt)}): it may have held "${serviceName}" since`,
    });
  }
  return found;
}

/** The facts of one instance (usually the NEW one): its containers, their cells, its archive. */
export async function findInstance(q: FindInstanceQuery): Promise<InstanceFacts> {
  const { facts, report } = await collect(q.sources, INSTANCE_SCAN_TERMS, q.since, q.until);
  const s = facts.instances.get(q.instanceGuid) ?? facts.instance(q.instanceGuid);
  const evidence: Evidence[] = [];
  // Containers no broker line names: their environment (PATRONI_SCOPE) or their wal-e archive names the instance,
  for (const [node, scope] of facts.nodeScopes) if (scope.guid === q.instanceGuid && !s.nodes.has(node)) s.nodes.set(node, null);
  // or, before their first WAL upload, only the first six characters of it that newer images put before their lines.
  const scope6 = q.instanceGuid.slice(0, 6);
  for (const [node, seen] of facts.nodeScope6) {
    if (seen.scope6 !== scope6 || s.nodes.has(node) || facts.nodeScopes.has(node)) continue;
    s.nodes.set(node, null);
    evidence.push({ ...seen.evidence, why: `${q.instanceGuid} begins with ${scope6}: ${seen.evidence.why}` });
  }
  const gone = replacedNodes(s);
  const nodes = nodeFacts(facts, s, evidence).filter((n) => !gone.has(n.nodeUuid));
  const createdMs = s.provisionedAt ?? s.containerCreatedAt;
  const all = [s.provisionEvidence, ...archivesEvidence(s), ...lastWalEvidence(s), ...evidence].filter((e): e is Evidence => e !== null);
  const redactor = q.redactor;
  keepBucketsVisible([...s.archives.keys()], redactor);
  return redactor.redactValue({
    instanceGuid: q.instanceGuid,
    ...archivesNamed(s),
    lastWalUploadAt: isoOrNull(s.lastWalUpload),
    lastWalPushAt: isoOrNull(s.lastWalPush),
    nodes,
    size: clusterSize(s, nodes),
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
  if (r.files.length > 0 || r.esQueries.length === 0) widen.push('add older rotated files (*.log.N.gz) or the folder that holds them');
  widen.push('include the router (broker, confd) and cell (docker) logs');
  if (r.esQueries.length === 0) widen.push('search Logsearch with --es-url');
  else {
    widen.push('check --es-index against the indices that hold the platform logs (GET _cat/indices)');
    // logsearch-boshrelease jobs/curator/spec: curator.purge_logs.retention_period, 30 days by default.
    widen.push(
      "mind that Logsearch's curator deletes the indices older than its retention (30 days unless set otherwise): the lines of an instance created before the oldest index GET _cat/indices lists are only in the platform's syslog files or a snapshot of the cluster",
    );
  }
  if (!r.notes.some((n) => n.includes('clusterdata record(s)'))) widen.push("give the broker's clusterdata bucket with --clusterdata");
  if (r.notes.some((n) => n.includes('named otherwise'))) widen.push('check the spelling of the service name');
  return new StepFailed(`no deleted instance named "${serviceName}" was found: ${describeSearch(r)}`, {
    hint: `To widen the search: ${widen.join('; ')}. Then run again (or resume).`,
  });
}
