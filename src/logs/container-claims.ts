/**
 * Whose instance a container's line is about. A container's line about an instance (wal-e's, or one
 * with a `<scope6>-` prefix) counts only with proof that its node serves that instance: the broker's
 * node records or cf-containers-broker's PATRONI_SCOPE for the node (which win), else, once no record
 * can come any more, the line's own scope prefix. Which writers may write it at all is evidence-rules.ts's.
 */
import { isGuid } from '../core/guid.js';
import type { LogEvent } from '../adapters/log-events.js';

export type Verdict = 'evidence' | 'not-evidence' | 'wait';

/**
 * A container's line that claims instance `instance` (wal-e) or carries a `scope6` prefix: the
 * node's instance from trusted records decides; without one, the line's scope prefix, once no
 * record can come any more (`final`).
 */
export function judgeContainer(
  claim: { instance: string | null; scope6: string | null },
  trusted: string | undefined,
  final: boolean,
): Verdict {
  const { instance, scope6 } = claim;
  if (trusted !== undefined) {
    if (instance !== null && instance !== trusted) return 'not-evidence';
    return scope6 === null || trusted.startsWith(scope6) ? 'evidence' : 'not-evidence';
  }
  if (instance === null) return 'evidence';
  if (!final) return 'wait';
  return scope6 !== null && instance.startsWith(scope6) ? 'evidence' : 'not-evidence';
}

/** The instance a container's line claims, and the scope prefix it carries. */
export function claimOf(e: LogEvent): { instance: string | null; scope6: string | null } | null {
  if (e.kind === 'wale') return { instance: e.instanceGuid, scope6: e.scope6 };
  if (e.kind === 'public-address' || e.kind === 'container') return { instance: null, scope6: e.scope6 };
  return null;
}

/** The node -> instance a trusted line records (broker node records, cf-containers-broker's options). */
export function nodeRecordOf(e: LogEvent): { node: string; instance: string } | null {
  if (e.kind === 'container-options') return e.nodeUuid && e.patroniScope ? { node: e.nodeUuid, instance: e.patroniScope } : null;
  if (e.kind !== 'broker' || !/(?:^|\.)(?:add-node|remove-node|remove-random-node)\.perform$/.test(e.action)) return null;
  const node = e.data['node-uuid'];
  const instance = e.data['instance-id'];
  return typeof node === 'string' && typeof instance === 'string' && isGuid(node) && isGuid(instance) ? { node, instance } : null;
}
