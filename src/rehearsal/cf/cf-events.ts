/**
 * The Cloud Controller's audit events through `cf curl`: `/v2/events` (v2 `q` filters on type,
 * actee, space_guid, organization_guid and timestamp; the v2 envelope) and `/v3/audit_events`
 * (types, target_guids, space_guids, organization_guids, created_ats; the v3 envelope). Both are
 * rendered from the one list of events in the world (cloud_controller_ng `Event`, its v2
 * `EventsController` and v3 `AuditEventPresenter`).
 */
import { ccBodies } from './cf-cc-bodies.js';
import { isAnswer, v2PageOf, v2Paged, v3BadQuery, v3PageOf, v3Paged } from './cc-pages.js';
import { v2Filtered, type V2Fields } from './cc-v2-query.js';
import { guidIn, okAnswer, commaList, type Answer, type Route } from './cf-route.js';
import type { CfAuditEvent } from './cf-world.js';

function v2Event(e: CfAuditEvent) {
  return {
    metadata: { guid: e.guid, url: `/v2/events/${e.guid}`, created_at: e.timestamp, updated_at: e.timestamp },
    entity: {
      type: e.type,
      actor: e.actor.guid,
      actor_type: e.actor.type,
      actor_name: e.actor.name,
      actor_username: e.actor.username ?? '',
      actee: e.target.guid,
      actee_type: e.target.type,
      actee_name: e.target.name,
      timestamp: e.timestamp,
      metadata: e.data,
      space_guid: e.spaceGuid,
      organization_guid: e.orgGuid,
    },
  };
}

function v3Event(e: CfAuditEvent, apiUrl: string) {
  return {
    guid: e.guid,
    created_at: e.timestamp,
    updated_at: e.timestamp,
    type: e.type,
    actor: { guid: e.actor.guid, type: e.actor.type, name: e.actor.name },
    target: { guid: e.target.guid, type: e.target.type, name: e.target.name },
    data: e.data,
    space: e.spaceGuid ? { guid: e.spaceGuid } : null,
    organization: e.orgGuid ? { guid: e.orgGuid } : null,
    links: { self: { href: `${apiUrl}/v3/audit_events/${e.guid}` } },
  };
}

/** Oldest first, in the order recorded when two share a second. */
function chronological(events: CfAuditEvent[]): CfAuditEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => Date.parse(a.e.timestamp) - Date.parse(b.e.timestamp) || a.i - b.i)
    .map((x) => x.e);
}

const V2_FIELDS: V2Fields<CfAuditEvent> = {
  type: (e) => e.type,
  actee: (e) => e.target.guid,
  space_guid: (e) => e.spaceGuid,
  organization_guid: (e) => e.orgGuid,
  timestamp: (e) => e.timestamp,
};

export const v2Events: Route = (cf, { path, query }) => {
  if (path !== '/v2/events') return undefined;
  const page = v2PageOf(query);
  if (isAnswer(page)) return page;
  const q = query.getAll('q');
  const found = v2Filtered(chronological(cf.w.events ?? []), q, V2_FIELDS);
  if (isAnswer(found)) return found;
  return okAnswer(v2Paged(path, q, found.map(v2Event), page));
};

export const v2OneEvent: Route = (cf, { path }) => {
  const guid = guidIn(path, '/v2/events');
  if (guid === undefined) return undefined;
  const e = (cf.w.events ?? []).find((x) => x.guid === guid);
  if (!e) return { status: 404, body: { code: 10000, description: 'Unknown request', error_code: 'CF-NotFound' } };
  return okAnswer(v2Event(e));
};

const V3_PARAMS = ['types', 'target_guids', 'space_guids', 'organization_guids', 'created_ats', 'page', 'per_page', 'order_by'];
const CREATED_AT = /^created_ats\[(gt|gte|lt|lte)\]$/;

function v3Filter(query: URLSearchParams): ((e: CfAuditEvent) => boolean) | Answer {
  const unknown = [...query.keys()].filter((k) => !V3_PARAMS.includes(k) && !CREATED_AT.test(k));
  if (unknown.length) {
    return v3BadQuery(
      `Unknown query parameter(s): ${unknown.map((k) => `'${k}'`).join(', ')}. Valid parameters are: ${V3_PARAMS.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const lists: [string[] | undefined, (e: CfAuditEvent) => string][] = [
    [commaList(query, 'types'), (e) => e.type],
    [commaList(query, 'target_guids'), (e) => e.target.guid],
    [commaList(query, 'space_guids'), (e) => e.spaceGuid],
    [commaList(query, 'organization_guids'), (e) => e.orgGuid],
    [commaList(query, 'created_ats')?.map((t) => String(Date.parse(t))), (e) => String(Date.parse(e.timestamp))],
  ];
  const bounds = [...query.entries()].flatMap(([k, v]) => {
    const op = CREATED_AT.exec(k)?.[1];
    return op === undefined ? [] : [{ op, at: Date.parse(v) }];
  });
  if (bounds.some((b) => Number.isNaN(b.at)))
    return v3BadQuery("Created ats has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'");
  return (e) => {
    const t = Date.parse(e.timestamp);
    const within = bounds.every(({ op, at }) => (op === 'gt' ? t > at : op === 'gte' ? t >= at : op === 'lt' ? t < at : t <= at));
    return within && lists.every(([wanted, read]) => !wanted || wanted.includes(read(e)));
  };
}

export const v3AuditEvents: Route = (cf, { path, query }) => {
  if (path !== '/v3/audit_events') return undefined;
  const keep = v3Filter(query);
  if (isAnswer(keep)) return keep;
  const page = v3PageOf(query, ['created_at', 'updated_at']);
  if (isAnswer(page)) return page;
  const found = chronological(cf.w.events ?? []).filter(keep);
  if (page.orderBy?.startsWith('-')) found.reverse();
  const api = cf.w.api.url;
  return okAnswer(
    v3Paged(
      api,
      path,
      query,
      found.map((e) => v3Event(e, api)),
      page,
    ),
  );
};

export const v3OneAuditEvent: Route = (cf, { path }): Answer | undefined => {
  const guid = guidIn(path, '/v3/audit_events');
  if (guid === undefined) return undefined;
  const e = (cf.w.events ?? []).find((x) => x.guid === guid);
  return e ? okAnswer(v3Event(e, cf.w.api.url)) : { status: 404, body: ccBodies.v3NotFound('Event') };
};
