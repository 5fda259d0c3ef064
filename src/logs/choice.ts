/**
 * Which deleted instance comes back is the operator's decision; the evidence can only settle it
 * when exactly one deleted instance is proven (by a clusterdata record or a name line in the logs)
 * to have carried the name the user gave. This module says whether it is settled, how the name is
 * proven, and why every other candidate was set aside. Pure: no I/O.
 */
import type { Candidate } from './types.js';

export const NOT_PROVEN = 'not proven by any evidence';

export function nameProof(c: Candidate): string {
  if (c.nameFrom === 'clusterdata') return `proven by the broker's clusterdata record`;
  if (c.nameFrom === 'logs') return 'proven by a name line in the logs';
  return NOT_PROVEN;
}

function proven(c: Candidate, wanted: string): boolean {
  return c.deletedAt !== null && c.nameFrom !== null && c.serviceName === wanted;
}

export interface Settled {
  /** The one candidate the evidence settles, or null when the operator must choose. */
  candidate: Candidate | null;
  /** Why the evidence does or does not settle it. */
  why: string;
}

export function settle(candidates: Candidate[], wanted: string): Settled {
  const named = candidates.filter((c) => proven(c, wanted));
  if (named.length === 1)
    return { candidate: named[0]!, why: `the only deleted instance whose name "${wanted}" is ${nameProof(named[0]!)}` };
  if (named.length > 1) {
    return {
      candidate: null,
      why: `${named.length} deleted instances are proven to have been named "${wanted}": ${named.map((c) => c.instanceGuid).join(', ')}`,
    };
  }
  return {
    candidate: null,
    why:
      candidates.length === 1
        ? `one deleted instance was found, but nothing proves it was named "${wanted}"`
        : `${candidates.length} deleted instances were found and none is proven to have been named "${wanted}"`,
  };
}

export interface SetAside {
  instanceGuid: string;
  serviceName: string;
  why: string;
}

/** Every candidate but the chosen one, with why it was set aside. */
export function setAside(candidates: Candidate[], chosen: Candidate, wanted: string, byOperator: boolean): SetAside[] {
  return candidates
    .filter((c) => c.instanceGuid !== chosen.instanceGuid)
    .map((c) => ({ instanceGuid: c.instanceGuid, serviceName: c.serviceName ?? '', why: whyNot(c, chosen, wanted, byOperator) }));
}

function whyNot(c: Candidate, chosen: Candidate, wanted: string, byOperator: boolean): string {
  if (byOperator) return 'not the one the operator chose';
  if (c.deletedAt === null) return 'no deletion of it was found in the logs searched';
  if (!proven(c, wanted))
    return `its name is ${c.serviceName ? `"${c.serviceName}", ` : ''}${NOT_PROVEN}, while ${chosen.instanceGuid}'s is`;
  return `also named "${wanted}"`;
}

/** A one-line description of a candidate, for lists and prompts. */
export function describeCandidate(c: Candidate): string {
  return [
    c.instanceGuid,
    c.serviceName ? `"${c.serviceName}" (${nameProof(c)})` : `name ${NOT_PROVEN}`,
    `space ${c.spaceGuid ?? '?'}`,
    `deleted ${c.deletedAt ?? '?'}`,
    `last WAL upload ${c.lastWalUploadAt ?? '?'}`,
    c.archivePrefix ? `archive ${c.archivePrefix}` : 'no archive seen',
  ].join(', ');
}
