/**
 * Property tests of the audit-event readers: any JSON a Cloud Controller (or a proxy in front of it)
 * might answer is read without throwing; v2 and v3 pages of the same events read the same; and the
 * apps a deleted space's instance is said to have been bound to come only from bindings still
 * standing when the space was deleted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventFromV2, eventFromV3, eventsPage, type AuditEvent } from '../../../src/adapters/cf/index.js';
import { instancesFromEvents } from '../../../src/logs/space-holdings.js';
import { v2Event, v3Event, type FakeEvent } from '../cf-events-fake.js';

const SEED = 20261124;
const SPACE = 'cb97dd25-d4f7-4185-9e6f-ad6e585c207c';
const ORG = 'd9be96f5-ea8f-4549-923f-bec882e32e3c';
const SPACE_DELETED = Date.parse('2026-03-16T12:00:00Z');

const STRING_FIELDS = ['guid', 'type', 'time', 'actor', 'targetGuid', 'targetType', 'targetName', 'spaceGuid', 'orgGuid'] as const;

function wellFormed(e: AuditEvent): void {
  for (const k of STRING_FIELDS) expect(typeof e[k]).toBe('string');
  expect(e.guid && e.type && e.time).toBeTruthy();
  expect(typeof e.request).toBe('object');
  expect(Array.isArray(e.request)).toBe(false);
}

/** A time within two hours either side of the space's deletion, at a whole second. */
const time = fc.integer({ min: -7200, max: 7200 }).map((s) => new Date(SPACE_DELETED + s * 1000).toISOString().replace('.000', ''));
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const guid = fc.uuid();

const fakeEvent: fc.Arbitrary<FakeEvent> = fc.record({
  guid,
  type: fc.constantFrom(
    'audit.service_instance.create',
    'audit.service_instance.delete',
    'audit.service_binding.create',
    'audit.service_binding.delete',
    'audit.app.create',
    'audit.space.delete-request',
  ),
  time,
  actor: fc.constantFrom('admin', 'dev@example.com'),
  actee: guid,
  acteeType: fc.constantFrom('service_instance', 'service_binding', 'app', 'space'),
  acteeName: name,
  spaceGuid: fc.constant(SPACE),
  orgGuid: fc.constant(ORG),
  request: fc.option(fc.dictionary(fc.constantFrom('name', 'service_plan_guid', 'app_guid'), fc.oneof(fc.string(), fc.integer())), {
    nil: undefined,
  }),
});

/** Damage a resource the way a truncated or foreign answer would: drop, null or retype any field, at any depth. */
function mangle(value: unknown, damage: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  if (value === null || typeof value !== 'object') return fc.oneof(fc.constant(value), damage);
  const entries = Object.entries(value);
  return fc
    .tuple(
      ...entries.map(([, v]) => fc.oneof({ weight: 4, arbitrary: mangle(v, damage) }, { weight: 1, arbitrary: fc.constant(undefined) })),
    )
    .map((vs) => Object.fromEntries(entries.map(([k], i) => [k, vs[i]]).filter(([, v]) => v !== undefined)));
}

const damage = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.string(),
  fc.array(fc.jsonValue(), { maxLength: 2 }),
  fc.object(),
);

describe('audit events from any answer', () => {
  it('reads arbitrary JSON resources without throwing, to null or a well-formed event', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (r) => {
        for (const read of [eventFromV3, eventFromV2]) {
          const e = read(r);
          if (e) wellFormed(e);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('reads damaged v2 and v3 resources and pages without throwing', () => {
    fc.assert(
      fc.property(
        fakeEvent.chain((e) => fc.tuple(mangle(v3Event(e), damage), mangle(v2Event(e), damage))),
        fc.jsonValue(),
        ([v3, v2], junk) => {
          for (const e of [eventFromV3(v3), eventFromV2(v2)]) if (e) wellFormed(e);
          const v3Page = eventsPage({ resources: [v3, junk], pagination: { next: junk } }, 'v3');
          const v2Page = eventsPage({ resources: [v2, junk], next_url: junk }, 'v2');
          for (const p of [v3Page, v2Page]) {
            expect(p).not.toBeNull();
            p!.events.forEach(wellFormed);
            expect(p!.next === null || typeof p!.next === 'string').toBe(true);
          }
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('reads the same event from its v2 and its v3 resource', () => {
    fc.assert(
      fc.property(fakeEvent, (e) => {
        const v3 = eventFromV3(v3Event(e));
        expect(v3).not.toBeNull();
        expect(eventFromV2(v2Event(e))).toEqual(v3);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

interface Binding {
  guid: string;
  app: number;
  created: string;
  deleted: string | null;
}

describe("a deleted space's bindings", () => {
  const apps = ['web', 'worker', 'cron', 'api'];
  const appGuid = (i: number) => `a0000000-0000-4000-8000-00000000000${i}`;
  const INSTANCE = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
  const binding: fc.Arbitrary<Binding> = fc.record({
    guid,
    app: fc.integer({ min: 0, max: apps.length - 1 }),
    created: time,
    deleted: fc.option(time, { nil: null }),
  });

  function event(type: string, at: string, targetGuid: string, targetName: string, request: Record<string, unknown> = {}): AuditEvent {
    return {
      guid: `${type}-${targetGuid}-${at}`,
      type,
      time: at,
      actor: 'dev',
      targetGuid,
      targetType: '',
      targetName,
      spaceGuid: SPACE,
      orgGuid: ORG,
      request,
    };
  }

  // cf delete-space through the v3 API deletes bindings first and records the space's delete-request
  // last: a binding deleted within the hour before it went with the space.
  const CASCADE_MS = 60 * 60_000;

  it('names an app only when a binding to it was created and not deleted before the space was (its own deletion aside)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(binding, { selector: (b) => b.guid, maxLength: 8 }), fc.boolean(), (bindings, v3Requests) => {
        const events: AuditEvent[] = [
          event('audit.service_instance.create', '2026-03-16T09:00:00Z', INSTANCE, 'orders-db'),
          ...apps.map((a, i) => event('audit.app.create', '2026-03-16T09:00:00Z', appGuid(i), a)),
        ];
        for (const b of bindings) {
          const request = v3Requests
            ? { relationships: { app: { data: { guid: appGuid(b.app) } }, service_instance: { data: { guid: INSTANCE } } } }
            : { app_guid: appGuid(b.app), service_instance_guid: INSTANCE };
          events.push(event('audit.service_binding.create', b.created, b.guid, '', request));
          if (b.deleted) events.push(event('audit.service_binding.delete', b.deleted, b.guid, ''));
        }
        const standing = new Set(
          bindings.filter((b) => !(b.deleted && Date.parse(b.deleted) < SPACE_DELETED - CASCADE_MS)).map((b) => apps[b.app]),
        );
        const got = instancesFromEvents(events, new Date(SPACE_DELETED).toISOString()).get(INSTANCE);
        expect(got?.name).toBe('orders-db');
        expect(new Set(got?.apps)).toEqual(standing);
        expect(got?.apps.length).toBe(standing.size);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});
