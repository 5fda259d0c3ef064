/**
 * The deleted instances a snapshot reads the archives and containers of: those the finder ranks
 * for the answers' service name, or, for answers that name only a space (recover-space's), every
 * instance the deleted space held, as recover-space finds them.
 */
import { UsageError } from '../core/errors.js';
import type { LogSource } from '../core/log-source.js';
import { findDeletedInstance } from '../logs/find.js';
import { findSpaceInstances } from '../logs/space.js';
import type { Candidate, ClusterdataSpec } from '../logs/types.js';
import type { CfWorld } from '../rehearsal/cf/index.js';

/** Candidates whose archives and containers a snapshot reads, at most. */
const MAX_CANDIDATES = 10;

export interface CandidateQuery {
  sources: LogSource;
  clusterdata?: ClusterdataSpec;
  org: string;
  space: string;
  /** The service to recover; absent for a whole space. */
  serviceName?: string;
  cf: CfWorld;
  /** The answers' space's GUID when the space was deleted (null: it exists, or no deletion was found). */
  deletedSpaceGuid: string | null;
}

export async function snapshotCandidates(q: CandidateQuery): Promise<{ candidates: Candidate[]; runbook?: string }> {
  if (q.serviceName) {
    const found = await findDeletedInstance({ sources: q.sources, serviceName: q.serviceName, clusterdata: q.clusterdata });
    return { candidates: found.candidates.slice(0, MAX_CANDIDATES) };
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
  const found = await findSpaceInstances({ sources: q.sources, clusterdata: q.clusterdata, spaceGuid, guids: [...new Set(guids)] });
  return { candidates: found.instances.slice(0, MAX_CANDIDATES), runbook: 'recover-space' };
}
