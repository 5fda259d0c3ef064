/**
 * Orgs, spaces and apps through `cf curl`, v2 (`/v2/organizations?q=name:O`,
 * `/v2/organizations/G/spaces`, `/v2/spaces?q=name:S&q=organization_guid:G`, `/v2/apps?q=name:A`)
 * and v3 (`/v3/organizations?names=`, `/v3/spaces?names=&organization_guids=`, `/v3/spaces/G`,
 * `/v3/apps?names=&space_guids=`). A deleted space is simply absent, as it is from the CC.
 */
import { isAnswer, v2PageOf, v2Paged, v3PageOf, v3Paged } from './cc-pages.js';
import { ccBodies } from './cf-cc-bodies.js';
import { v2Filtered, type V2Fields } from './cc-v2-query.js';
import type { CfContext } from './cf-context.js';
import { guidIn, okAnswer, commaList, type Answer, type CcRequest, type Route } from './cf-route.js';
import type { CfApp, CfOrg, CfSpace } from './cf-world.js';

interface SpaceIn {
  space: CfSpace;
  org: CfOrg;
}
interface AppIn {
  app: CfApp;
  space: CfSpace;
}

const spacesOf = (cf: CfContext): SpaceIn[] => cf.w.orgs.flatMap((org) => org.spaces.map((space) => ({ space, org })));
const appsOf = (cf: CfContext): AppIn[] => spacesOf(cf).flatMap(({ space }) => space.apps.map((app) => ({ app, space })));
const meta = (kind: string, guid: string, createdAt: string | undefined) => ({
  guid,
  url: `/v2/${kind}/${guid}`,
  created_at: createdAt ?? null,
  updated_at: null,
});

const v2Org = (o: CfOrg) => ({
  metadata: meta('organizations', o.guid, o.createdAt),
  entity: { name: o.name, billing_enabled: false, status: 'active', spaces_url: `/v2/organizations/${o.guid}/spaces` },
});

const v2Space = ({ space, org }: SpaceIn) => ({
  metadata: meta('spaces', space.guid, space.createdAt),
  entity: {
    name: space.name,
    organization_guid: org.guid,
    space_quota_definition_guid: null,
    allow_ssh: true,
    organization_url: `/v2/organizations/${org.guid}`,
    apps_url: `/v2/spaces/${space.guid}/apps`,
    service_instances_url: `/v2/spaces/${space.guid}/service_instances`,
    events_url: `/v2/spaces/${space.guid}/events`,
  },
});

const v2App = ({ app, space }: AppIn) => ({
  metadata: meta('apps', app.guid, app.createdAt),
  entity: {
    name: app.name,
    space_guid: space.guid,
    state: app.state.toUpperCase(),
    instances: app.instances ?? 1,
    space_url: `/v2/spaces/${space.guid}`,
    service_bindings_url: `/v2/apps/${app.guid}/service_bindings`,
  },
});

const links = (api: string, kind: string, guid: string, extra: Record<string, string> = {}) => ({
  self: { href: `${api}/v3/${kind}/${guid}` },
  ...Object.fromEntries(Object.entries(extra).map(([k, href]) => [k, { href: `${api}${href}` }])),
});
const noMetadata = { labels: {}, annotations: {} };

/** A v2 list of `items` narrowed by the request's `q` on `fields`, one page of it. */
function v2ListOf<T>(r: CcRequest, items: T[], fields: V2Fields<T>, render: (t: T) => unknown): Answer {
  const page = v2PageOf(r.query);
  if (isAnswer(page)) return page;
  const q = r.query.getAll('q');
  const found = v2Filtered(items, q, fields);
  return isAnswer(found) ? found : okAnswer(v2Paged(r.path, q, found.map(render), page));
}

/** A v3 list of `items` kept by the comma-separated filters given, one page of it. */
function v3ListOf<T>(
  cf: CfContext,
  r: CcRequest,
  items: T[],
  filters: Record<string, (t: T) => string>,
  render: (t: T) => unknown,
): Answer {
  const page = v3PageOf(r.query, ['created_at', 'updated_at', 'name']);
  if (isAnswer(page)) return page;
  const found = items.filter((t) => Object.entries(filters).every(([name, read]) => commaList(r.query, name)?.includes(read(t)) ?? true));
  return okAnswer(v3Paged(cf.w.api.url, r.path, r.query, found.map(render), page));
}

const v2OrgNotFound = (guid: string): Answer => ({
  status: 404,
  body: { code: 30003, description: `The organization could not be found: ${guid}`, error_code: 'CF-OrganizationNotFound' },
});

export const v2Orgs: Route = (cf, r) => {
  if (r.path === '/v2/organizations') return v2ListOf(r, cf.w.orgs, { name: (o) => o.name }, v2Org);
  const guid = guidIn(r.path, '/v2/organizations');
  if (guid !== undefined) {
    const org = cf.w.orgs.find((o) => o.guid === guid);
    return org ? okAnswer(v2Org(org)) : v2OrgNotFound(guid);
  }
  const orgGuid = /^\/v2\/organizations\/([^/]+)\/spaces$/.exec(r.path)?.[1];
  if (orgGuid === undefined) return undefined;
  if (!cf.w.orgs.some((o) => o.guid === orgGuid)) return v2OrgNotFound(orgGuid);
  return v2ListOf(
    r,
    spacesOf(cf).filter((s) => s.org.guid === orgGuid),
    { name: (s) => s.space.name },
    v2Space,
  );
};

export const v2Spaces: Route = (cf, r) => {
  if (r.path === '/v2/spaces') {
    return v2ListOf(r, spacesOf(cf), { name: (s) => s.space.name, organization_guid: (s) => s.org.guid }, v2Space);
  }
  const guid = guidIn(r.path, '/v2/spaces');
  if (guid === undefined) return undefined;
  const found = spacesOf(cf).find((s) => s.space.guid === guid);
  return found
    ? okAnswer(v2Space(found))
    : { status: 404, body: { code: 40004, description: `The app space could not be found: ${guid}`, error_code: 'CF-SpaceNotFound' } };
};

export const v2Apps: Route = (cf, r) => {
  const spaceGuid = /^\/v2\/spaces\/([^/]+)\/apps$/.exec(r.path)?.[1];
  if (r.path !== '/v2/apps' && spaceGuid === undefined) return undefined;
  const apps = appsOf(cf).filter((a) => spaceGuid === undefined || a.space.guid === spaceGuid);
  return v2ListOf(r, apps, { name: (a) => a.app.name, space_guid: (a) => a.space.guid }, v2App);
};

export const v3Orgs: Route = (cf, r) => {
  if (r.path !== '/v3/organizations') return undefined;
  const api = cf.w.api.url;
  return v3ListOf(cf, r, cf.w.orgs, { names: (o) => o.name, guids: (o) => o.guid }, (o) => ({
    guid: o.guid,
    created_at: o.createdAt ?? null,
    updated_at: o.createdAt ?? null,
    name: o.name,
    suspended: false,
    metadata: noMetadata,
    links: links(api, 'organizations', o.guid),
  }));
};

const v3Space = (api: string, { space, org }: SpaceIn) => ({
  guid: space.guid,
  created_at: space.createdAt ?? null,
  updated_at: space.createdAt ?? null,
  name: space.name,
  relationships: { organization: { data: { guid: org.guid } }, quota: { data: null } },
  metadata: noMetadata,
  links: links(api, 'spaces', space.guid, { organization: `/v3/organizations/${org.guid}` }),
});

export const v3Spaces: Route = (cf, r) => {
  const api = cf.w.api.url;
  const guid = guidIn(r.path, '/v3/spaces');
  if (guid !== undefined) {
    const found = spacesOf(cf).find((s) => s.space.guid === guid);
    return found ? okAnswer(v3Space(api, found)) : { status: 404, body: ccBodies.v3NotFound('Space') };
  }
  if (r.path !== '/v3/spaces') return undefined;
  const filters = {
    names: (s: SpaceIn) => s.space.name,
    guids: (s: SpaceIn) => s.space.guid,
    organization_guids: (s: SpaceIn) => s.org.guid,
  };
  return v3ListOf(cf, r, spacesOf(cf), filters, (s) => v3Space(api, s));
};

export const v3Apps: Route = (cf, r) => {
  if (r.path !== '/v3/apps') return undefined;
  const api = cf.w.api.url;
  const filters = { names: (a: AppIn) => a.app.name, guids: (a: AppIn) => a.app.guid, space_guids: (a: AppIn) => a.space.guid };
  return v3ListOf(cf, r, appsOf(cf), filters, ({ app, space }) => ({
    guid: app.guid,
    name: app.name,
    state: app.state.toUpperCase(),
    created_at: app.createdAt ?? null,
    updated_at: app.createdAt ?? null,
    relationships: { space: { data: { guid: space.guid } } },
    metadata: noMetadata,
    links: links(api, 'apps', app.guid, { space: `/v3/spaces/${space.guid}` }),
  }));
};
