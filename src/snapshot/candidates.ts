/**
 * The instances a snapshot reads the archives and containers of: a live one cf still knows by the
 * answers' name (or the one the run settled on), as restore-to-time finds it; the deleted ones the
 * finder ranks for the answers' service name; or, for answers that name only a space
 * (recover-space's), every instance the deleted space held, as recover-space finds them.
 */
import { UsageError } from '../core/errors.js';
import { isGuidAnyCase } from '../core/guid.js';
import type { LogSource } from '../core/log-source.js';
import type { Redactor } from '../core/redact.js';
import { findDeletedInstance, findInstance } from '../logs/find.js';
import { findSpaceInstances } from '../logs/space.js';
import type { Candidate, ClusterdataSpec } from '../logs/types.js';
import type { CfWorld } from '../rehearsal/cf/index.js';

/** Candidates whose archives and containers a snapshot reads, at most. */
const MAX_CANDIDATES = 10;

/** The instance a run settled on: its GUID, whether cf still knew it, and the archive it found. */
export interface SnapshotSubject {
  guid: string;
  live: boolean;
  archiveUrl?: string;
}

/** What a snapshot reads of an instance: its containers' nodes and cells, and its archive. */
export type SnapshotInstance = Pick<Candidate, 'instanceGuid' | 'archivePrefix' | 'nodes'>;

export interface CandidateQuery {
  sources: LogSource;
  clusterdata?: ClusterdataSpec;
  org: string;
  space: string;
  /** The service to recover; absent for a whole space. */
  serviceName?: string;
  /** The name is restore-to-time's instance, which may be alive: cf's instance of that name first. */
  mayBeLive?: boolean;
  subject?: SnapshotSubject;
  cf: CfWorld;
  /** The answers' space's GUID when the space was deleted (null: it exists, or no deletion was found). */
  deletedSpaceGuid: string | null;
  redactor: Redactor;
}

export interface Candidates {
  candidates: SnapshotInstance[];
  /** The instance the scenario's answers choose among deleted ones (none for a live one). */
  chosen?: string;
  /** The candidates are every instance of a deleted space (the answers name no service). */
  wholeSpace?: boolean;
}

/** An answers input's text, trimmed; undefined when it is absent, blank or no text. */
export function optionalInput(inputs: Record<string, unknown>, key: string): string | undefined {
  const v = inputs[key];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * What answers name: the service (recover's serviceName, deleted; restore-to-time's instance when
 * it is a name, live or deleted), and the instance already chosen: one given by GUID
 * (restore-to-time), else the deleted one --deleted-instance or choose.deletedInstance picks.
 */
export function answersSubject(
  inputs: Record<string, unknown>,
  deletedInstance?: string,
): { serviceName?: string; mayBeLive?: boolean; subject?: SnapshotSubject } {
  const service = optionalInput(inputs, 'serviceName');
  const instance = service ? undefined : optionalInput(inputs, 'instance');
  if (instance && isGuidAnyCase(instance)) return { subject: { guid: instance.toLowerCase(), live: true } };
  const chosen = deletedInstance ? { subject: { guid: deletedInstance, live: false } } : {};
  return { serviceName: service ?? instance, mayBeLive: instance !== undefined, ...chosen };
}

/** The live instance of that name in the answers' space, as cf lists it. */
function liveGuid(q: CandidateQuery): string | undefined {
  const space = q.cf.orgs.find((o) => o.name === q.org)?.spaces.find((s) => s.name === q.space);
  return space && q.cf.instances.find((i) => i.spaceGuid === space.guid && i.name === q.serviceName)?.guid;
}

async function liveInstance(q: CandidateQuery, guid: string, archiveUrl?: string): Promise<Candidates> {
  const facts = await findInstance({ sources: q.sources, instanceGuid: guid, redactor: q.redactor });
  return { candidates: [{ instanceGuid: guid, nodes: facts.nodes, archivePrefix: archiveUrl ?? facts.archivePrefix }] };
}

export async function snapshotCandidates(q: CandidateQuery): Promise<Candidates> {
  if (q.subject?.live) return liveInstance(q, q.subject.guid, q.subject.archiveUrl);
  if (q.serviceName) {
    const live = q.mayBeLive && !q.subject ? liveGuid(q) : undefined;
    if (live) return liveInstance(q, live);
    const found = await findDeletedInstance({
      sources: q.sources,
      serviceName: q.serviceName,
      clusterdata: q.clusterdata,
      redactor: q.redactor,
    });
    const candidates = found.candidates.slice(0, MAX_CANDIDATES);
    const chosen = q.subject?.guid ?? (candidates.length === 1 ? candidates[0]!.instanceGuid : undefined);
    return { candidates, chosen };
  }
  const spaceGuid = q.deletedSpaceGuid;
  if (!spaceGuid) {
    throw new UsageError(`the answers name no service, and no deletion of a space "${q.space}" in org ${q.org} was found`, {
      hint: 'give inputs.serviceName to snapshot one deleted service; for a deleted space whose deletion event is gone, give its GUID as inputs.spaceGuid',
    });
  }
  const guids = (q.cf.events ?? [])
    .filter((e) => e.type.startsWith('audit.service_instance.') && e.spaceGuid === spaceGuid)
    .map((e) => e.target.guid);
  const found = await findSpaceInstances({
    sources: q.sources,
    clusterdata: q.clusterdata,
    spaceGuid,
    guids: [...new Set(guids)],
    redactor: q.redactor,
  });
  return { candidates: found.instances.slice(0, MAX_CANDIDATES), wholeSpace: true };
}
