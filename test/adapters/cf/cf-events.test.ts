/** Audit events through `cf curl`: both APIs' shapes, pagination, and CCs without v3. */
import { describe, expect, it } from 'vitest';
import { CfApi, curlPath, eventFromV2, eventFromV3, requestGuid } from '../../../src/adapters/cf/index.js';
import { fakeCcRunner, type FakeCc, type FakeEvent } from '../cf-events-fake.js';
import { Redactor } from '../../../src/core/redact.js';

const ORG = 'd9be96f5-ea8f-4549-923f-bec882e32e3c';
const SPACE = 'cb97dd25-d4f7-4185-9e6f-ad6e585c207c';

describe('reading one event', () => {
  it('reads the v3 resource as documented (actor, target, space, organization, data.request)', () => {
    const e = eventFromV3({
      guid: 'a595fe2f-01ff-4965-a50c-290258ab8582',
      created_at: '2016-06-08T16:41:23Z',
      updated_at: '2016-06-08T16:41:26Z',
      type: 'audit.app.update',
      actor: { guid: 'd144abe3-3d7b-40d4-b63f-2584798d3ee5', type: 'user', name: 'admin' },
      target: { guid: '2e3151ba-9a63-4345-9c5b-6d8c238f4e55', type: 'app', name: 'my-app' },
      data: { request: { recursive: true } },
      space: { guid: SPACE },
      organization: { guid: ORG },
      links: { self: { href: 'https://api.example.org/v3/audit_events/a595fe2f-01ff-4965-a50c-290258ab8582' } },
    });
    expect(e).toEqual({
      guid: 'a595fe2f-01ff-4965-a50c-290258ab8582',
      type: 'audit.app.update',
      time: '2016-06-08T16:41:23Z',
      actor: 'admin',
      targetGuid: '2e3151ba-9a63-4345-9c5b-6d8c238f4e55',
      targetType: 'app',
      targetName: 'my-app',
      spaceGuid: SPACE,
      orgGuid: ORG,
      request: { recursive: true },
    });
  });

  it('reads the v2 resource (actee*, actor_name, timestamp, metadata.request) into the same shape', () => {
    const e = eventFromV2({
      metadata: { guid: 'e1', url: '/v2/events/e1', created_at: '2016-03-16T23:05:00Z' },
      entity: {
        type: 'audit.space.delete-request',
        actor: 'u1',
        actor_type: 'user',
        actor_name: 'dev@example.com',
        actee: SPACE,
        actee_type: 'space',
        actee_name: 'analytics',
        timestamp: '2016-03-16T23:05:01Z',
        metadata: { request: { recursive: true } },
        space_guid: SPACE,
        organization_guid: ORG,
      },
    });
    expect(e).toMatchObject({ type: 'audit.space.delete-request', time: '2016-03-16T23:05:01Z', actor: 'dev@example.com' });
    expect(e).toMatchObject({ targetGuid: SPACE, targetName: 'analytics', orgGuid: ORG, request: { recursive: true } });
  });

  it('skips resources without a GUID, type or time', () => {
    expect(eventFromV3({ type: 'audit.app.update', created_at: '2016-06-08T16:41:23Z' })).toBeNull();
    expect(eventFromV2({ metadata: { guid: 'x' }, entity: { timestamp: '2016-06-08T16:41:23Z' } })).toBeNull();
  });

  it('finds request GUIDs in v3 relationships and v2 *_guid fields', () => {
    expect(requestGuid({ relationships: { service_plan: { data: { guid: 'p3' } } } }, 'service_plan')).toBe('p3');
    expect(requestGuid({ service_plan_guid: 'p2' }, 'service_plan')).toBe('p2');
    expect(requestGuid({}, 'app')).toBe('');
  });

  it('turns a v3 next link (full URL) into a cf curl path', () => {
    expect(curlPath('https://api.example.org/v3/audit_events?page=2&per_page=2')).toBe('/v3/audit_events?page=2&per_page=2');
    expect(curlPath('/v2/events?page=2')).toBe('/v2/events?page=2');
  });
});

function events(n: number): FakeEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    guid: `ev-${i}`,
    type: 'audit.service_instance.create',
    time: `2016-03-1${i}T10:00:00Z`,
    actor: 'dev@example.com',
    actee: `si-${i}`,
    acteeType: 'service_instance',
    acteeName: `db-${i}`,
    spaceGuid: SPACE,
    orgGuid: ORG,
    request: { service_plan_guid: 'plan-1' },
  }));
}

function cc(over: Partial<FakeCc>): FakeCc {
  return { version: '8.7.0', v3: true, orgs: [{ name: 'acme', guid: ORG }], events: events(5), pageSize: 2, ...over };
}

const api = (fake: ReturnType<typeof fakeCcRunner>, curlFail: boolean) => new CfApi(fake, { redactor: new Redactor(), curlFail });

describe('CfApi', () => {
  it('reads v3 audit events of a space, following pagination.next.href to the last page', async () => {
    const fake = fakeCcRunner(cc({}));
    const got = await api(fake, true).events(['audit.service_instance.create'], { spaceGuid: SPACE });
    expect(got.api).toBe('v3');
    expect(got.events.map((e) => e.targetName)).toEqual(['db-0', 'db-1', 'db-2', 'db-3', 'db-4']);
    const pages = fake.calls.filter((c) => c.includes('/v3/audit_events'));
    expect(pages).toHaveLength(3);
    expect(pages[0]).toContain(`types=audit.service_instance.create&space_guids=${SPACE}`);
    expect(pages[2]).toContain('page=3');
  });

  it('on an old CC (404 JSON body from /v3 with exit 0, no curl -f), reads /v2/events and follows next_url', async () => {
    const fake = fakeCcRunner(cc({ version: '6.22.2', v3: false }));
    const got = await api(fake, false).events(['audit.service_instance.create'], { spaceGuid: SPACE });
    expect(got.api).toBe('v2');
    expect(got.events).toHaveLength(5);
    expect(got.events[0]).toMatchObject({ actor: 'dev@example.com', targetGuid: 'si-0', request: { service_plan_guid: 'plan-1' } });
    expect(fake.calls.some((c) => c.includes(' -f '))).toBe(false);
    const v2 = fake.calls.filter((c) => c.includes('/v2/events'));
    expect(v2).toHaveLength(3);
    expect(decodeURIComponent(v2[0]!)).toContain(`q=type:audit.service_instance.create&q=space_guid:${SPACE}`);
  });

  it('with curl -f, takes exit 22 (404) from /v3 as "no v3" and reads v2', async () => {
    const fake = fakeCcRunner(cc({ version: '6.53.0', v3: false }));
    expect(await api(fake, true).orgGuid('acme')).toBe(ORG);
    expect(fake.calls).toContain('cf curl -f /v3');
    expect(fake.calls.at(-1)).toBe('cf curl -f /v2/organizations?q=name:acme');
  });

  it('reads v3 from a CC whose GET /v3 does not answer once v2 answers 404 (v2 turned off)', async () => {
    const plans = [{ guid: 'plan-1', name: 'cluster', offering: 'dingo-postgresql' }];
    const fake = fakeCcRunner(cc({ v2: false, v3Root: false, plans }));
    const got = await api(fake, true).events(['audit.service_instance.create'], { spaceGuid: SPACE });
    expect(got).toMatchObject({ api: 'v3', events: expect.arrayContaining([expect.objectContaining({ targetName: 'db-4' })]) });
    const a = api(fake, true);
    expect(await a.orgGuid('acme')).toBe(ORG);
    expect(await a.planOffering('plan-1')).toEqual({ plan: 'cluster', offering: 'dingo-postgresql' });
    expect(fake.calls.filter((c) => c.includes('/v2/')).length).toBe(2);
  });

  it('names the paths and the reason when neither API lets the user read events', async () => {
    const fake = fakeCcRunner(cc({ forbidden: /events/ }));
    await expect(api(fake, false).events(['audit.space.delete-request'], { orgGuid: ORG })).rejects.toThrow(
      /reading audit.space.delete-request events through `cf curl` on local failed: \/v3\/audit_events\?types=audit.space.delete-request&organization_guids=.*CF-NotAuthorized.*\/v2\/events/,
    );
  });

  it('says which org does not exist', async () => {
    await expect(api(fakeCcRunner(cc({})), true).orgGuid('acne')).rejects.toThrow('no organization named "acne"');
  });

  it("reads a plan's name and its offering's name on v3 and on v2", async () => {
    const plans = [{ guid: 'plan-1', name: 'cluster', offering: 'dingo-postgresql' }];
    for (const [v3, version] of [
      [true, '8.7.0'],
      [false, '6.22.2'],
    ] as const) {
      const a = api(fakeCcRunner(cc({ v3, version, plans })), false);
      expect(await a.planOffering('plan-1')).toEqual({ plan: 'cluster', offering: 'dingo-postgresql' });
      expect(await a.planOffering('plan-gone')).toBeNull();
    }
  });

  it('finds a space by name in an org, or null', async () => {
    const spaces = [{ name: 'analytics', guid: SPACE, orgGuid: ORG }];
    for (const v3 of [true, false]) {
      const a = api(fakeCcRunner(cc({ v3, spaces })), false);
      expect(await a.spaceGuid(ORG, 'analytics')).toBe(SPACE);
      expect(await a.spaceGuid(ORG, 'other')).toBeNull();
    }
  });
});
