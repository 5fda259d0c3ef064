/**
 * Every Dingo instance a deleted space held, as the logs and the broker's clusterdata records know
 * them: instances provisioned with that space GUID (provision request bodies, records) and the
 * instances the Cloud Controller's audit events name, each with its deletion, name, nodes and
 * wal-e archive. One pass over the logs, shared with the single finder's collection.
 */
import { Redactor } from '../core/redact.js';
import { parseS3Url } from '../core/s3-url.js';
import type { LogSource, SearchReport } from '../core/log-source.js';
import { draft, toCandidate } from './candidates.js';
import { readClusterdata, type ClusterdataRecord } from './clusterdata.js';
import { archivesNamed } from './instance-state.js';
import { collect } from './find.js';
import { SCAN_TERMS } from './search-terms.js';
import type { Candidate, ClusterdataSpec } from './types.js';

export interface SpaceLogQuery {
  sources: LogSource;
  clusterdata?: ClusterdataSpec;
  /** The deleted space's GUID. */
  spaceGuid: string;
  /** Instances the audit events say the space held: looked up whatever space the logs give them. */
  guids: string[];
  since?: Date;
  until?: Date;
  /** The run's redactor: the secrets of the records read are registered with it, and the result redacted. */
  redactor: Redactor;
}

export interface SpaceLogInstance extends Candidate {
  /** The Dingo broker (its lines, its clusterdata record or its wal-e archive) knew this instance. */
  brokerSeen: boolean;
}

export interface SpaceLogResult {
  instances: SpaceLogInstance[];
  /** Buckets the wal-e uploads in the logs went to (any instance): where an unlogged archive would be. */
  buckets: string[];
  searched: SearchReport;
}

export async function findSpaceInstances(q: SpaceLogQuery): Promise<SpaceLogResult> {
  const redactor = q.redactor;
  const { facts, report } = await collect(q.sources, SCAN_TERMS, q.since, q.until);
  const records = q.clusterdata ? await readClusterdata(q.clusterdata, report, redactor) : [];
  const recordsByGuid = new Map<string, ClusterdataRecord>();
  for (const r of records) recordsByGuid.set(r.instanceGuid, r);

  const named = new Set(q.guids);
  const instances: SpaceLogInstance[] = [];
  for (const guid of new Set([...facts.instances.keys(), ...recordsByGuid.keys(), ...named])) {
    const state = facts.instances.get(guid);
    const record = recordsByGuid.get(guid) ?? null;
    const d = draft(facts, state ?? facts.instance(guid), record, '');
    if (d.spaceGuid !== q.spaceGuid && !named.has(guid)) continue;
    const brokerSeen = record !== null || (state !== undefined && (state.generations.size > 0 || state.archives.size > 0));
    instances.push({ ...toCandidate(d, d.spaceGuid === q.spaceGuid ? 'high' : 'medium', q.spaceGuid), brokerSeen });
  }
  instances.sort((a, b) => (a.serviceName ?? a.instanceGuid).localeCompare(b.serviceName ?? b.instanceGuid));
  const buckets = new Set<string>();
  for (const s of facts.instances.values()) {
    const sole = archivesNamed(s).archivePrefix;
    if (sole) buckets.add(parseS3Url(sole).bucket);
  }
  return redactor.redactValue({ instances, buckets: [...buckets].sort(), searched: report });
}
