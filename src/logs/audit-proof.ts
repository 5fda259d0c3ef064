/**
 * The Cloud Controller's audit events of the user's space as proof of a deleted instance's space and
 * name: an instance whose create, update or delete event the CC recorded in that space belonged to
 * it, under the name the events give last. The CC writes them, never a tenant. Pure: no I/O.
 */
import type { AuditEvent } from '../adapters/cf/index.js';
import { NO_SPACE_RECORD } from './find.js';
import { instancesFromEvents } from './space-holdings.js';
import type { Candidate, FindResult } from './types.js';

/** The event types that place a service instance in a space. */
export const INSTANCE_EVENT_TYPES = ['audit.service_instance.create', 'audit.service_instance.update', 'audit.service_instance.delete'];

export const FROM_EVENTS = "the Cloud Controller's audit events";

/**
 * The candidates with what the space's events prove of each: the space (always theirs: the events
 * were asked of that space) and the name the CC last recorded when it is the one wanted.
 */
export function withAuditEvents(result: FindResult, events: AuditEvent[], spaceGuid: string, wanted: string): FindResult {
  // Asked of that space; an event the CC says is of another space is not counted.
  const audited = instancesFromEvents(
    events.filter((e) => !e.spaceGuid || e.spaceGuid === spaceGuid),
    '',
  );
  const candidates = result.candidates.map((c): Candidate => {
    const a = audited.get(c.instanceGuid);
    if (!a) return c;
    const named = a.name === wanted && c.nameFrom === null;
    const evidence = a.evidence.map((line) => ({
      line,
      source: FROM_EVENTS,
      why: `the Cloud Controller recorded this instance in space ${spaceGuid}${a.name ? ` as "${a.name}"` : ''}`,
    }));
    return {
      ...c,
      spaceGuid,
      spaceFrom: FROM_EVENTS,
      inGivenSpace: true,
      ...(named ? { serviceName: a.name, nameFrom: 'audit-events' as const } : {}),
      evidence: [...evidence, ...c.evidence.filter((e) => !e.why.startsWith(NO_SPACE_RECORD))],
    };
  });
  return { ...result, candidates };
}
