/**
 * Which deleted instance comes back is the operator's decision; the evidence can only settle it
 * when exactly one deleted instance is proven to have carried the name the user gave (by a
 * clusterdata record, a name line in the logs or the CC's audit events) AND to have belonged to the
 * user's space (by the clusterdata record, a broker record in the logs that names the space or the
 * CC's audit events of that space), and no other deleted
 * instance carried that name. A name alone proves nothing: the broker's name line carries no space,
 * and another tenant may have used the same name. This module says whether it is settled, how the
 * name and the space are proven, and why every other candidate was set aside. Pure: no I/O.
 */
import type { Candidate, LeftOut } from './types.js';
import { lastWalText } from './instance-state.js';

export const NOT_PROVEN = 'not proven by any evidence';

export function nameProof(c: Candidate): string {
  if (c.nameFrom === 'clusterdata') return `proven by the broker's clusterdata record`;
  if (c.nameFrom === 'logs') return 'proven by a name line in the logs';
  if (c.nameFrom === 'audit-events') return "proven by the Cloud Controller's audit events";
  return NOT_PROVEN;
}

/** The space of a candidate and what says so. */
export function spaceProof(c: Candidate): string {
  if (!c.spaceGuid) return 'space unknown (no clusterdata record, broker record or audit event names it)';
  const org = c.orgGuid ? `, org ${c.orgGuid}` : '';
  return `space ${c.spaceGuid}${org} (from ${c.spaceFrom ?? 'an unknown source'})${c.inGivenSpace ? ": the user's space" : ''}`;
}

function named(c: Candidate, wanted: string): boolean {
  return c.deletedAt !== null && c.nameFrom !== null && c.serviceName === wanted;
}

export interface Settled {
  /** The one candidate the evidence settles, or null when the operator must choose. */
  candidate: Candidate | null;
  /** Why the evidence does or does not settle it. */
  why: string;
}

export function settle(candidates: Candidate[], wanted: string): Settled {
  const carried = candidates.filter((c) => named(c, wanted));
  const here = carried.filter((c) => c.inGivenSpace);
  const list = (cs: Candidate[]) => cs.map((c) => c.instanceGuid).join(', ');
  if (here.length === 1 && carried.length === 1)
    return {
      candidate: here[0]!,
      why: `the only deleted instance whose name "${wanted}" is ${nameProof(here[0]!)} and whose ${spaceProof(here[0]!)}`,
    };
  if (here.length > 1)
    return {
      candidate: null,
      why: `${here.length} deleted instances of the user's space are proven to have been named "${wanted}": ${list(here)}`,
    };
  const unknown = carried.filter((c) => !c.inGivenSpace);
  if (here.length === 1)
    return {
      candidate: null,
      why: `${here[0]!.instanceGuid} is proven to have been named "${wanted}" in the user's space, but ${list(unknown)} also carried the name and nothing proves which space ${unknown.length === 1 ? 'it was' : 'they were'} in`,
    };
  if (carried.length > 0)
    return {
      candidate: null,
      why: `${list(carried)} ${carried.length === 1 ? 'is' : 'are'} proven to have been named "${wanted}", but nothing proves ${carried.length === 1 ? 'it' : 'any'} belonged to the user's space (a name line carries no space: another tenant may have used the name)`,
    };
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

/** Every candidate but the chosen one, and every instance of another space, with why each was set aside. */
export function setAside(
  candidates: Candidate[],
  chosen: Candidate,
  wanted: string,
  byOperator: boolean,
  otherSpace: LeftOut[] = [],
): SetAside[] {
  return [
    ...candidates
      .filter((c) => c.instanceGuid !== chosen.instanceGuid)
      .map((c) => ({ instanceGuid: c.instanceGuid, serviceName: c.serviceName ?? '', why: whyNot(c, chosen, wanted, byOperator) })),
    ...otherSpace.map((o) => ({ instanceGuid: o.instanceGuid, serviceName: o.serviceName ?? '', why: o.why })),
  ];
}

function whyNot(c: Candidate, chosen: Candidate, wanted: string, byOperator: boolean): string {
  if (byOperator) return 'not the one the operator chose';
  if (c.deletedAt === null) return 'no deletion of it was found in the logs searched';
  if (!named(c, wanted))
    return `its name is ${c.serviceName ? `"${c.serviceName}", ` : ''}${NOT_PROVEN}, while ${chosen.instanceGuid}'s is`;
  return `also named "${wanted}"`;
}

/** A one-line description of a candidate, for lists and prompts. */
export function describeCandidate(c: Candidate): string {
  return [
    c.instanceGuid,
    c.serviceName ? `"${c.serviceName}" (${nameProof(c)})` : `name ${NOT_PROVEN}`,
    spaceProof(c),
    `created ${c.createdAt ?? '?'}`,
    `deleted ${c.deletedAt ?? '?'}`,
    lastWalText(c) ?? 'last WAL upload ?',
    c.archivePrefix ? `archive ${c.archivePrefix}` : 'no archive seen',
  ].join(', ');
}
