/**
 * A fake Cloud Controller behind `cf curl`, answering with the documented shapes: v3 audit events
 * (cloud_controller_ng docs/v3 _audit_events.erb), v2 events (metadata + entity with actee*), orgs,
 * spaces, plans and offerings; lists split into pages of `pageSize` so callers must follow links.
 * A CC without v3 answers /v3 paths 404 with a v2 error body, printed with exit 0 unless `-f`.
 */
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';
import { settled } from '../support/started.js';

const API = 'https://api.example.org';

export interface FakeEvent {
  guid: string;
  type: string;
  time: string;
  actor: string;
  actee: string;
  acteeType: string;
  acteeName: string;
  spaceGuid: string;
  orgGuid: string;
  request?: Record<string, unknown>;
}

export interface FakeCc {
  version: string;
  v3: boolean;
  orgs: { name: string; guid: string }[];
  spaces?: { name: string; guid: string; orgGuid: string }[];
  plans?: { guid: string; name: string; offering: string }[];
  events: FakeEvent[];
  pageSize?: number;
  /** v2 turned off (answers 404); default on. */
  v2?: boolean;
  /** `GET /v3` (the v3 root, listing its links) answers; default yes when v3 is on. */
  v3Root?: boolean;
  /** Paths answering 403 CF-NotAuthorized. */
  forbidden?: RegExp;
}

export interface FakeRunner extends CommandRunner {
  /** Every argv run, joined by spaces. */
  calls: string[];
}

const ok = (body: unknown): CommandResult => ({ exitCode: 0, stdout: `${JSON.stringify(body, null, 3)}\n`, stderr: '', durationMs: 1 });

function httpError(status: number, body: unknown, fail: boolean): CommandResult {
  if (fail) return { exitCode: 22, stdout: '', stderr: `The requested URL returned error: ${status}\n`, durationMs: 1 };
  return ok(body);
}

const v2NotFound = { code: 10000, description: 'Unknown request', error_code: 'CF-NotFound' };
const v3NotFound = { errors: [{ detail: 'Unknown request', title: 'CF-NotFound', code: 10000 }] };

export function v3Event(e: FakeEvent) {
  return {
    guid: e.guid,
    created_at: e.time,
    updated_at: e.time,
    type: e.type,
    actor: { guid: `user-${e.actor}`, type: 'user', name: e.actor },
    target: { guid: e.actee, type: e.acteeType, name: e.acteeName },
    data: { request: e.request ?? {} },
    space: { guid: e.spaceGuid },
    organization: { guid: e.orgGuid },
    links: { self: { href: `${API}/v3/audit_events/${e.guid}` } },
  };
}

export function v2Event(e: FakeEvent) {
  return {
    metadata: { guid: e.guid, url: `/v2/events/${e.guid}`, created_at: e.time, updated_at: e.time },
    entity: {
      type: e.type,
      actor: `user-${e.actor}`,
      actor_type: 'user',
      actor_name: e.actor,
      actor_username: e.actor.split('@')[0],
      actee: e.actee,
      actee_type: e.acteeType,
      actee_name: e.acteeName,
      timestamp: e.time,
      metadata: { request: e.request ?? {} },
      space_guid: e.spaceGuid,
      organization_guid: e.orgGuid,
    },
  };
}

/** One page of a list, linking to the next as each API does. */
function page(cc: FakeCc, url: URL, all: unknown[], api: 'v3' | 'v2'): unknown {
  const size = cc.pageSize ?? 50;
  const n = Number(url.searchParams.get('page') ?? '1');
  const resources = all.slice((n - 1) * size, n * size);
  const more = n * size < all.length;
  const next = new URL(url.toString());
  next.searchParams.set('page', String(n + 1));
  if (api === 'v3') {
    return {
      pagination: { total_results: all.length, total_pages: Math.ceil(all.length / size), next: more ? { href: next.toString() } : null },
      resources,
    };
  }
  return { total_results: all.length, prev_url: null, next_url: more ? `${next.pathname}${next.search}` : null, resources };
}

/** v2 `q=field:value` filters. */
function v2Filters(url: URL): Map<string, string> {
  const out = new Map<string, string>();
  for (const q of url.searchParams.getAll('q')) {
    const at = q.indexOf(':');
    if (at > 0) out.set(q.slice(0, at), q.slice(at + 1));
  }
  return out;
}

function answer(cc: FakeCc, path: string, fail: boolean): CommandResult {
  const url = new URL(path, API);
  const p = url.pathname;
  if (cc.forbidden?.test(path))
    return httpError(
      403,
      { code: 10003, description: 'You are not authorized to perform the requested action', error_code: 'CF-NotAuthorized' },
      fail,
    );
  if (p.startsWith('/v3') && !cc.v3) return httpError(404, v2NotFound, fail);
  if (p.startsWith('/v2') && cc.v2 === false) return httpError(404, v3NotFound, fail);
  if (p === '/v3' && cc.v3Root !== false) return ok({ links: { self: { href: `${API}/v3` } } });
  const q = url.searchParams;
  const f = v2Filters(url);
  if (p === '/v3/organizations')
    return ok(
      page(
        cc,
        url,
        cc.orgs.filter((o) => o.name === q.get('names')).map((o) => ({ guid: o.guid, name: o.name })),
        'v3',
      ),
    );
  if (p === '/v2/organizations')
    return ok(
      page(
        cc,
        url,
        cc.orgs.filter((o) => o.name === f.get('name')).map((o) => ({ metadata: { guid: o.guid }, entity: { name: o.name } })),
        'v2',
      ),
    );
  const spaces = cc.spaces ?? [];
  if (p === '/v3/spaces') {
    const found = spaces.filter((s) => s.name === q.get('names') && s.orgGuid === q.get('organization_guids'));
    return ok(
      page(
        cc,
        url,
        found.map((s) => ({ guid: s.guid, name: s.name })),
        'v3',
      ),
    );
  }
  const orgSpaces = /^\/v2\/organizations\/([^/]+)\/spaces$/.exec(p);
  if (orgSpaces) {
    const found = spaces.filter((s) => s.name === f.get('name') && s.orgGuid === orgSpaces[1]);
    return ok(
      page(
        cc,
        url,
        found.map((s) => ({ metadata: { guid: s.guid }, entity: { name: s.name } })),
        'v2',
      ),
    );
  }
  const one = /^\/v([23])\/spaces\/([^/]+)$/.exec(p);
  const space = one ? spaces.find((s) => s.guid === one[2]) : undefined;
  if (space && one![1] === '3')
    return ok({ guid: space.guid, name: space.name, relationships: { organization: { data: { guid: space.orgGuid } } } });
  if (space) return ok({ metadata: { guid: space.guid }, entity: { name: space.name, organization_guid: space.orgGuid } });
  if (p === '/v3/audit_events') {
    const types = (q.get('types') ?? '').split(',').filter(Boolean);
    const found = cc.events.filter(
      (e) =>
        (!types.length || types.includes(e.type)) &&
        (!q.get('space_guids') || e.spaceGuid === q.get('space_guids')) &&
        (!q.get('organization_guids') || e.orgGuid === q.get('organization_guids')),
    );
    return ok(page(cc, url, found.map(v3Event), 'v3'));
  }
  if (p === '/v2/events') {
    const found = cc.events.filter(
      (e) =>
        (!f.get('type') || e.type === f.get('type')) &&
        (!f.get('space_guid') || e.spaceGuid === f.get('space_guid')) &&
        (!f.get('organization_guid') || e.orgGuid === f.get('organization_guid')),
    );
    return ok(page(cc, url, found.map(v2Event), 'v2'));
  }
  const plan = /^\/v[23]\/service_plans\/([^/]+)$/.exec(p);
  const known = plan ? cc.plans?.find((x) => x.guid === plan[1]) : undefined;
  if (known && p.startsWith('/v3'))
    return ok({
      guid: known.guid,
      name: known.name,
      relationships: { service_offering: { data: { guid: `offering-${known.offering}` } } },
    });
  if (known) return ok({ metadata: { guid: known.guid }, entity: { name: known.name, service_guid: `offering-${known.offering}` } });
  const offering = /^\/v([23])\/(?:service_offerings|services)\/offering-(.+)$/.exec(p);
  if (offering)
    return ok(offering[1] === '3' ? { guid: `offering-${offering[2]}`, name: offering[2] } : { entity: { label: offering[2] } });
  return httpError(404, p.startsWith('/v3') ? v3NotFound : v2NotFound, fail);
}

/** A runner for `cf version` and `cf curl [-f] PATH` against the fake CC. */
export function fakeCcRunner(cc: FakeCc): FakeRunner {
  const calls: string[] = [];
  const run = (spec: CommandSpec): CommandResult => {
    calls.push(spec.argv.join(' '));
    const [, cmd, ...rest] = spec.argv;
    if (cmd === 'version') return { exitCode: 0, stdout: `cf version ${cc.version}\n`, stderr: '', durationMs: 1 };
    if (cmd !== 'curl') return { exitCode: 1, stdout: 'FAILED\n', stderr: `not faked: ${spec.argv.join(' ')}\n`, durationMs: 1 };
    const fail = rest[0] === '-f';
    return answer(cc, fail ? rest[1]! : rest[0]!, fail);
  };
  return { where: 'local', calls, run: (spec) => settled(() => run(spec)) };
}
