/**
 * Cloud Controller audit events, as `cf curl` prints them: v3 `/v3/audit_events` (actor, target,
 * space, organization, data) and v2 `/v2/events` (actee*, actor*, space_guid, organization_guid,
 * metadata, timestamp). Both are read into one shape; pages link to the next one (v3
 * `pagination.next.href`, a full URL; v2 `next_url`, a path).
 *
 * What `cf delete-space` leaves (cloud_controller_ng SpaceEventRepository, ServiceEventRepository):
 * `audit.space.delete-request` with actee = the space GUID, actee_name = its name and the org GUID;
 * then, per resource of the space, `audit.service_instance.delete`, `audit.service_binding.delete`,
 * `audit.app.delete-request`, each with the space GUID.
 */
import { recordAt, stringAt, type JsonRecord } from '../../core/json.js';

export type EventsApi = 'v3' | 'v2';

export interface AuditEvent {
  guid: string;
  type: string;
  /** ISO time the Cloud Controller recorded it (v3 created_at, v2 timestamp). */
  time: string;
  /** Who: the user's name (email), else their GUID. */
  actor: string;
  targetGuid: string;
  targetType: string;
  targetName: string;
  spaceGuid: string;
  orgGuid: string;
  /** `request` of the event's data (v3) or metadata (v2): what was asked, secrets already censored by the CC. */
  request: JsonRecord;
}

export interface EventsPage {
  events: AuditEvent[];
  /** Path of the next page for `cf curl`, or null on the last page. */
  next: string | null;
}

function text(value: unknown, key: string): string {
  return stringAt(value, key) ?? '';
}

/** One v3 audit event resource, or null when it lacks a GUID, type or time. */
export function eventFromV3(r: unknown): AuditEvent | null {
  const guid = text(r, 'guid');
  const type = text(r, 'type');
  const time = text(r, 'created_at');
  if (!guid || !type || !time) return null;
  const actor = recordAt(r, 'actor');
  const target = recordAt(r, 'target');
  return {
    guid,
    type,
    time,
    actor: text(actor, 'name') || text(actor, 'guid'),
    targetGuid: text(target, 'guid'),
    targetType: text(target, 'type'),
    targetName: text(target, 'name'),
    spaceGuid: text(recordAt(r, 'space'), 'guid'),
    orgGuid: text(recordAt(r, 'organization'), 'guid'),
    request: recordAt(recordAt(r, 'data'), 'request') ?? {},
  };
}

/** One v2 event resource (`metadata` + `entity`), or null when it lacks a GUID, type or time. */
export function eventFromV2(r: unknown): AuditEvent | null {
  const e = recordAt(r, 'entity');
  const guid = text(recordAt(r, 'metadata'), 'guid');
  const type = text(e, 'type');
  const time = text(e, 'timestamp') || text(recordAt(r, 'metadata'), 'created_at');
  if (!guid || !type || !time) return null;
  return {
    guid,
    type,
    time,
    actor: text(e, 'actor_name') || text(e, 'actor_username') || text(e, 'actor'),
    targetGuid: text(e, 'actee'),
    targetType: text(e, 'actee_type'),
    targetName: text(e, 'actee_name'),
    spaceGuid: text(e, 'space_guid'),
    orgGuid: text(e, 'organization_guid'),
    request: recordAt(recordAt(e, 'metadata'), 'request') ?? {},
  };
}

/** The path (from `/v2` or `/v3` on) of a next-page link, for `cf curl`. */
export function curlPath(link: string): string {
  const m = /\/v[23]\/.*$/.exec(link);
  return m ? m[0] : link;
}

/** The resources of a list page and the link to the next page (v3 pagination.next.href, v2 next_url). */
export function listPage(body: JsonRecord, api: EventsApi): { resources: unknown[]; next: string | null } | null {
  if (!Array.isArray(body.resources)) return null;
  const link = api === 'v3' ? stringAt(recordAt(recordAt(body, 'pagination'), 'next'), 'href') : stringAt(body, 'next_url');
  return { resources: body.resources, next: link ? curlPath(link) : null };
}

/** One page of audit events; unreadable resources are skipped. */
export function eventsPage(body: JsonRecord, api: EventsApi): EventsPage | null {
  const page = listPage(body, api);
  if (!page) return null;
  const read = api === 'v3' ? eventFromV3 : eventFromV2;
  const events = page.resources.map(read).filter((e): e is AuditEvent => e !== null);
  return { events, next: page.next };
}

/** First page of events of one type, filtered by space or org (v3 `types=`, v2 `q=type:`). */
export function eventsPath(api: EventsApi, type: string, where: { spaceGuid?: string; orgGuid?: string }): string {
  if (api === 'v3') {
    const filter = where.spaceGuid ? `&space_guids=${where.spaceGuid}` : where.orgGuid ? `&organization_guids=${where.orgGuid}` : '';
    return `/v3/audit_events?types=${encodeURIComponent(type)}${filter}&per_page=5000&order_by=created_at`;
  }
  const q = [`q=${encodeURIComponent(`type:${type}`)}`];
  if (where.spaceGuid) q.push(`q=${encodeURIComponent(`space_guid:${where.spaceGuid}`)}`);
  else if (where.orgGuid) q.push(`q=${encodeURIComponent(`organization_guid:${where.orgGuid}`)}`);
  return `/v2/events?${q.join('&')}&results-per-page=100`;
}

/** A GUID nested as `relationships.KEY.data.guid` (v3 requests) or `KEY_guid` (v2 requests). */
export function requestGuid(request: JsonRecord, key: string): string {
  const v3 = stringAt(recordAt(recordAt(recordAt(request, 'relationships'), key), 'data'), 'guid');
  return v3 ?? stringAt(request, `${key}_guid`) ?? '';
}
