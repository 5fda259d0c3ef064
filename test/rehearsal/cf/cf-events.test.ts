/** The simulated Cloud Controller's audit events: v2 `/v2/events` and v3 `/v3/audit_events`, filtered and paged as the CC does. */
import { describe, expect, it } from 'vitest';
import { simulateCf, type CfAuditEvent } from '../../../src/rehearsal/cf/index.js';
import { CF_VERSIONS, cfWorld } from '../../support/fake-cli/worlds.js';

const ORG = '1c0e6074-777f-450e-9abc-c42f39d9b75b';
const GONE = '6681471e-1476-464a-8e31-6f44c96a8f29';
const OTHER = '2f1e5a54-1a55-4d5b-8c1e-9a1f0e0e0e0e';
const DANA = { guid: 'b3c1f0aa-6a0e-4f43-9d0f-2c4b8e1d7a55', type: 'user', name: 'dana@example.com', username: 'dana' };

function event(n: number, type: string, timestamp: string, space = GONE): CfAuditEvent {
  const guid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    guid,
    type,
    timestamp,
    actor: DANA,
    target: { guid: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type: type.split('.')[1]!, name: `thing-${n}` },
    data: { request: { recursive: true } },
    spaceGuid: space,
    orgGuid: ORG,
  };
}

const EVENTS = [
  event(1, 'audit.service_instance.create', '2017-03-14T09:10:05Z'),
  event(2, 'audit.app.update', '2017-05-09T11:20:00Z', OTHER),
  event(3, 'audit.space.delete-request', '2017-05-09T14:02:11Z'),
  event(4, 'audit.service_instance.delete', '2017-05-09T14:02:12Z'),
  event(5, 'audit.service_instance.delete', '2017-05-09T14:02:14Z'),
  event(6, 'audit.app.delete-request', '2017-05-09T14:02:18Z'),
];

function curl(path: string, options: { v3?: boolean; version?: string } = {}) {
  const w = cfWorld(options.version ?? CF_VERSIONS.v8, { events: structuredClone(EVENTS) });
  w.api = { url: 'https://api.sys.example.com', version: '2.82.0', v2: true, v3: options.v3 ?? true };
  const r = simulateCf(w, { argv: ['cf', 'curl', path], writes: false });
  return { r, body: JSON.parse(r.stdout) as Record<string, unknown> };
}

const guids = (body: Record<string, unknown>, v: 2 | 3): string[] =>
  (body.resources as { guid?: string; metadata?: { guid: string } }[]).map((x) => (v === 2 ? x.metadata!.guid : x.guid!));

describe('/v2/events', () => {
  it('renders each event in the v2 envelope, with metadata and entity fields of the CC', () => {
    const { body } = curl('/v2/events?q=type:audit.space.delete-request');
    expect(body).toEqual({
      total_results: 1,
      total_pages: 1,
      prev_url: null,
      next_url: null,
      resources: [
        {
          metadata: {
            guid: EVENTS[2]!.guid,
            url: `/v2/events/${EVENTS[2]!.guid}`,
            created_at: '2017-05-09T14:02:11Z',
            updated_at: '2017-05-09T14:02:11Z',
          },
          entity: {
            type: 'audit.space.delete-request',
            actor: DANA.guid,
            actor_type: 'user',
            actor_name: 'dana@example.com',
            actor_username: 'dana',
            actee: EVENTS[2]!.target.guid,
            actee_type: 'space',
            actee_name: 'thing-3',
            timestamp: '2017-05-09T14:02:11Z',
            metadata: { request: { recursive: true } },
            space_guid: GONE,
            organization_guid: ORG,
          },
        },
      ],
    });
  });

  it('narrows by every q given: IN lists, space, organization and timestamp bounds', () => {
    const inList = curl('/v2/events?q=type IN audit.service_instance.delete,audit.app.delete-request').body;
    expect(guids(inList, 2)).toEqual([EVENTS[3]!.guid, EVENTS[4]!.guid, EVENTS[5]!.guid]);
    const bySpace = curl(`/v2/events?q=space_guid:${GONE}&q=timestamp>=2017-05-09T14:02:12Z&q=timestamp<2017-05-09T14:02:18Z`).body;
    expect(guids(bySpace, 2)).toEqual([EVENTS[3]!.guid, EVENTS[4]!.guid]);
    expect(curl(`/v2/events?q=organization_guid:${ORG}&q=actee:${EVENTS[1]!.target.guid}`).body.total_results).toBe(1);
    expect(curl('/v2/events?q=timestamp>2017-05-09T14:02:14Z').body.total_results).toBe(1);
  });

  it('pages with results-per-page and order-direction, carrying the q filters in next_url and prev_url', () => {
    const first = curl(`/v2/events?q=space_guid:${GONE}&results-per-page=2&order-direction=desc`).body;
    expect(first).toMatchObject({ total_results: 5, total_pages: 3, prev_url: null });
    expect(guids(first, 2)).toEqual([EVENTS[5]!.guid, EVENTS[4]!.guid]);
    expect(first.next_url).toBe(`/v2/events?order-direction=desc&page=2&q=space_guid:${GONE}&results-per-page=2`);
    const second = curl(first.next_url as string).body;
    expect(guids(second, 2)).toEqual([EVENTS[3]!.guid, EVENTS[2]!.guid]);
    expect(second.prev_url).toBe(`/v2/events?order-direction=desc&page=1&q=space_guid:${GONE}&results-per-page=2`);
    const last = curl(second.next_url as string).body;
    expect(guids(last, 2)).toEqual([EVENTS[0]!.guid]);
    expect(last.next_url).toBeNull();
  });

  it('refuses an attribute the events endpoint does not filter on, and a page size over 100, with the CC errors', () => {
    const bad = curl('/v2/events?q=actor_name:dana');
    expect(bad.r.exitCode).toBe(0);
    expect(bad.body).toMatchObject({ error_code: 'CF-BadQueryParameter', code: 10005 });
    expect(curl('/v2/events?results-per-page=101').body).toMatchObject({ error_code: 'CF-MessageParseError' });
  });

  it('prints the body re-indented by a 6.x CLI, as it prints every cf curl', () => {
    const { r } = curl('/v2/events?q=type:audit.app.update', { version: CF_VERSIONS.legacy });
    expect(r.stdout).toMatch(/^ {3}"total_results": 1,$/m);
  });
});

describe('/v3/audit_events', () => {
  it('renders the v3 audit event: actor and target objects, data, space and organization', () => {
    const { body } = curl(`/v3/audit_events?types=audit.space.delete-request&space_guids=${GONE}`);
    expect(body.resources).toEqual([
      {
        guid: EVENTS[2]!.guid,
        created_at: '2017-05-09T14:02:11Z',
        updated_at: '2017-05-09T14:02:11Z',
        type: 'audit.space.delete-request',
        actor: { guid: DANA.guid, type: 'user', name: 'dana@example.com' },
        target: { guid: EVENTS[2]!.target.guid, type: 'space', name: 'thing-3' },
        data: { request: { recursive: true } },
        space: { guid: GONE },
        organization: { guid: ORG },
        links: { self: { href: `https://api.sys.example.com/v3/audit_events/${EVENTS[2]!.guid}` } },
      },
    ]);
  });

  it('filters by types, target, space and organization GUIDs and created_ats bounds', () => {
    const types = curl('/v3/audit_events?types=audit.service_instance.delete,audit.service_instance.create').body;
    expect(guids(types, 3)).toEqual([EVENTS[0]!.guid, EVENTS[3]!.guid, EVENTS[4]!.guid]);
    expect(curl(`/v3/audit_events?target_guids=${EVENTS[5]!.target.guid}`).body.resources).toHaveLength(1);
    expect(curl(`/v3/audit_events?space_guids=${OTHER}&organization_guids=${ORG}`).body.resources).toHaveLength(1);
    const window = curl('/v3/audit_events?created_ats[gte]=2017-05-09T14:02:12Z&created_ats[lt]=2017-05-09T14:02:18Z').body;
    expect(guids(window, 3)).toEqual([EVENTS[3]!.guid, EVENTS[4]!.guid]);
  });

  it('pages with per_page and order_by; the links are absolute and keep the filters', () => {
    const first = curl(`/v3/audit_events?space_guids=${GONE}&per_page=2&order_by=-created_at`).body;
    const base = 'https://api.sys.example.com/v3/audit_events';
    expect(first.pagination).toEqual({
      total_results: 5,
      total_pages: 3,
      first: { href: `${base}?order_by=-created_at&page=1&per_page=2&space_guids=${GONE}` },
      last: { href: `${base}?order_by=-created_at&page=3&per_page=2&space_guids=${GONE}` },
      next: { href: `${base}?order_by=-created_at&page=2&per_page=2&space_guids=${GONE}` },
      previous: null,
    });
    expect(guids(first, 3)).toEqual([EVENTS[5]!.guid, EVENTS[4]!.guid]);
    const next = (first.pagination as { next: { href: string } }).next.href.replace('https://api.sys.example.com', '');
    const second = curl(next).body;
    expect(guids(second, 3)).toEqual([EVENTS[3]!.guid, EVENTS[2]!.guid]);
    expect((second.pagination as { previous: { href: string } }).previous.href).toContain('page=1&');
  });

  it('refuses unknown parameters with CF-BadQueryParameter', () => {
    expect(curl('/v3/audit_events?actor_names=dana').body).toMatchObject({ errors: [{ title: 'CF-BadQueryParameter', code: 10005 }] });
  });

  it('does not exist on a Cloud Controller without v3: the 404 of an old CC', () => {
    const { r, body } = curl('/v3/audit_events?types=audit.space.delete-request', { v3: false });
    expect(r.exitCode).toBe(0);
    expect(body).toEqual({ code: 10000, description: 'Unknown request', error_code: 'CF-NotFound' });
  });
});

describe('the v3 root', () => {
  it('answers GET /v3 with its links where the CC serves v3, and 404 where it does not', () => {
    const { r, body } = curl('/v3');
    expect(r.exitCode).toBe(0);
    expect(body.links).toMatchObject({
      self: { href: 'https://api.sys.example.com/v3' },
      audit_events: { href: 'https://api.sys.example.com/v3/audit_events' },
    });
    const old = curl('/v3', { v3: false });
    expect(old.body).toMatchObject({ code: 10000, error_code: 'CF-NotFound' });
  });
});
