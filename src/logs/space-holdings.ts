/**
 * What a deleted space held, from the Cloud Controller's audit events and the logs together: which
 * deletion of the space is meant, and per service instance its name, plan GUID, deletion time,
 * bound apps and the log facts (archive, nodes) behind it.
 */
import { requestGuid, type AuditEvent } from '../adapters/cf/index.js';
import type { SpaceLogInstance } from './space.js';
import { APP_NAME_EVENT_TYPES, appNames } from './app-names.js';

export const SPACE_DELETE = 'audit.space.delete-request';

/** The event types that tell what a space held (instances, their plans and bindings, app names). */
export const HOLDING_EVENT_TYPES = [
  'audit.service_instance.create',
  'audit.service_instance.update',
  'audit.service_instance.delete',
  'audit.service_binding.create',
  'audit.service_binding.delete',
  ...APP_NAME_EVENT_TYPES,
];

/** Log times (syslog, broker) may be off the Cloud Controller's clock by this much. */
const CLOCK_SLACK_MS = 2 * 60_000;
/**
 * How long before its delete-request event a space's own deletion may have removed its instances,
 * bindings and apps: through the v3 API (cf 7 and 8) the Cloud Controller deletes them first and
 * records the request last, and with an asynchronous broker the user runs delete-space again.
 */
const CASCADE_MS = 60 * 60_000;

export interface SpaceDeletion {
  spaceGuid: string;
  deletedAt: string;
  deletedBy: string;
  evidence: string;
}

/** Deletions of spaces named NAME, newest first. */
export function spaceDeletions(events: AuditEvent[], spaceName: string): SpaceDeletion[] {
  return events
    .filter((e) => e.type === SPACE_DELETE && e.targetName === spaceName && e.targetGuid)
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
    .map((e) => ({ spaceGuid: e.targetGuid, deletedAt: e.time, deletedBy: e.actor, evidence: describeEvent(e) }));
}

function describeEvent(e: AuditEvent): string {
  return `${e.type} at ${e.time} by ${e.actor || 'unknown'}: ${e.targetType || 'target'} ${e.targetName ? `"${e.targetName}" ` : ''}${e.targetGuid}`;
}

export interface Holding {
  instanceGuid: string;
  name: string | null;
  planGuid: string | null;
  /** From the instance's delete event, else the logs' deprovision lines. */
  deletedAt: string | null;
  /** Each bound app by its name, or by its GUID when no event names it. */
  apps: string[];
  /** The GUID of each of `apps`. */
  appGuids: Record<string, string>;
  log: SpaceLogInstance | null;
  evidence: string[];
  /** Set when the instance was gone before the space was deleted (not part of what the space held then). */
  goneBefore: string | null;
}

interface Bound {
  apps: string[];
  appGuids: Record<string, string>;
}

interface FromEvents {
  name: string | null;
  planGuid: string | null;
  deletedAt: string | null;
  evidence: string[];
}

/** The service instances the events name, with their bound apps (bindings removed before the space went do not count). */
export function instancesFromEvents(events: AuditEvent[], spaceDeletedAt: string): Map<string, FromEvents & Bound> {
  const out = new Map<string, FromEvents & Bound>();
  const names = appNames(events);
  const bindings = new Map<string, { app: string; instance: string }>();
  const unboundEarlier = new Set<string>();
  const before = Date.parse(spaceDeletedAt) - CASCADE_MS;
  const get = (guid: string) => {
    let i = out.get(guid);
    if (!i) out.set(guid, (i = { name: null, planGuid: null, deletedAt: null, evidence: [], apps: [], appGuids: {} }));
    return i;
  };
  for (const e of events) {
    if (e.type === 'audit.service_binding.create')
      bindings.set(e.targetGuid, { app: requestGuid(e.request, 'app'), instance: requestGuid(e.request, 'service_instance') });
    if (e.type === 'audit.service_binding.delete') {
      if (Date.parse(e.time) < before) unboundEarlier.add(e.targetGuid);
      // The delete event names the app and the instance too: the binding counts when its create event is gone.
      else if (!bindings.has(e.targetGuid))
        bindings.set(e.targetGuid, { app: requestGuid(e.request, 'app'), instance: requestGuid(e.request, 'service_instance') });
    }
    if (!e.type.startsWith('audit.service_instance.') || !e.targetGuid) continue;
    const i = get(e.targetGuid);
    i.name = e.targetName || i.name;
    i.planGuid = requestGuid(e.request, 'service_plan') || i.planGuid;
    if (e.type === 'audit.service_instance.delete') i.deletedAt = e.time;
    i.evidence.push(describeEvent(e));
  }
  for (const [guid, b] of bindings) {
    const i = out.get(b.instance);
    const app = names.get(b.app) ?? b.app;
    if (i && b.app && !unboundEarlier.has(guid) && !i.apps.includes(app)) {
      i.apps.push(app);
      i.appGuids[app] = b.app;
    }
  }
  return out;
}

/** Every instance the space held: the events' and the logs' together, by GUID. */
export function holdings(events: AuditEvent[], spaceDeletedAt: string, logs: SpaceLogInstance[]): Holding[] {
  const fromEvents = instancesFromEvents(events, spaceDeletedAt);
  const logByGuid = new Map(logs.map((l) => [l.instanceGuid, l]));
  const out: Holding[] = [];
  for (const guid of new Set([...fromEvents.keys(), ...logByGuid.keys()])) {
    const ev = fromEvents.get(guid);
    const log = logByGuid.get(guid) ?? null;
    const deletedAt = ev?.deletedAt ?? log?.deletedAt ?? null;
    const evidence = [...(ev?.evidence ?? [])];
    const ahead = deletedAt ? Date.parse(spaceDeletedAt) - Date.parse(deletedAt) : 0;
    if (ahead > 0 && ahead <= CASCADE_MS)
      evidence.push(
        `deleted ${Math.round(ahead / 1000)} s before the space's delete-request was recorded: cf delete-space (cf 7 and 8) deletes a space's instances first, so it counts as held (an instance deleted on purpose just before belongs in leaveOut)`,
      );
    if (log) evidence.push(...log.evidence.filter((e) => e.line).map((e) => `${e.why} (${e.source})`));
    out.push({
      instanceGuid: guid,
      name: ev?.name ?? log?.serviceName ?? null,
      planGuid: ev?.planGuid ?? null,
      deletedAt,
      apps: ev?.apps ?? [],
      appGuids: ev?.appGuids ?? {},
      log,
      evidence,
      goneBefore: goneBefore(deletedAt, ev?.deletedAt ? CASCADE_MS : CASCADE_MS + CLOCK_SLACK_MS, spaceDeletedAt),
    });
  }
  return out.sort((a, b) => (a.name ?? a.instanceGuid).localeCompare(b.name ?? b.instanceGuid));
}

function goneBefore(deletedAt: string | null, slackMs: number, spaceDeletedAt: string): string | null {
  if (!deletedAt || !spaceDeletedAt) return null;
  return Date.parse(deletedAt) + slackMs < Date.parse(spaceDeletedAt)
    ? `deleted at ${deletedAt}, before the space was (${spaceDeletedAt}): it was no longer in the space`
    : null;
}
