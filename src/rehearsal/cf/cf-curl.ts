import { ccBodies, renderCurl, v2List, v2ServiceInstance, v3List, v3ServiceInstance } from './cf-cc-bodies.js';
import type { Rendered } from '../../adapters/cf/index.js';
import type { CfFlags } from './cf-args.js';
import { bindingGuid } from './cf-apps.js';
import type { CfContext } from './cf-context.js';
import { v2OneEvent, v2Events, v3AuditEvents, v3OneAuditEvent } from './cf-events.js';
import { catalogLists, v2Plan, v2Service, v3OfferingRoute, v3Plan } from './cf-curl-catalog.js';
import { v2Apps, v2Orgs, v2Spaces, v3Apps, v3Orgs, v3Spaces } from './cf-curl-orgs.js';
import type { Answer, CcRequest, Route } from './cf-route.js';

export function curl(cf: CfContext, target: string, flags: CfFlags): Rendered {
  const fail = flags.has('-f') || flags.has('--fail');
  const x = flags.get('-X');
  const method = typeof x === 'string' ? x.toUpperCase() : flags.has('-d') ? 'POST' : 'GET';
  const { status, body } = route(cf, method, target);
  return renderCurl(cf.v, status, body, fail);
}

function route(cf: CfContext, method: string, target: string): Answer {
  const url = new URL(target, 'http://cc.invalid');
  const path = url.pathname.replace(/\/+$/, '');
  const v3 = cf.w.api.v3 !== false;
  if (method !== 'GET')
    return { status: 405, body: { errors: [{ detail: 'Method not allowed in this simulation', title: 'CF-NotAllowed', code: 10000 }] } };
  if (path.startsWith('/v3/') && !v3) return { status: 404, body: ccBodies.v2UnknownRequest() };
  if (path.startsWith('/v2/') && cf.w.api.v2 === false) return { status: 404, body: ccBodies.v3UnknownRequest() };
  const request: CcRequest = { path, query: url.searchParams, target };
  for (const r of ROUTES) {
    const answer = r(cf, request);
    if (answer) return answer;
  }
  return { status: 404, body: v3 ? ccBodies.v3UnknownRequest() : ccBodies.v2UnknownRequest() };
}

const info: Route = (cf, { path }) =>
  path === '/v2/info' ? { status: 200, body: { name: '', build: '', api_version: cf.w.api.version } } : undefined;

/** `GET /v3`: the v3 root, its links naming the resources (a CC without v3 answers 404, above). */
const v3Root: Route = (cf, { path }) => {
  if (path !== '/v3' || cf.w.api.v3 === false) return undefined;
  const api = cf.w.api.url;
  const link = (p: string) => ({ href: `${api}/v3${p}` });
  return {
    status: 200,
    body: {
      links: {
        self: link(''),
        audit_events: link('/audit_events'),
        organizations: link('/organizations'),
        spaces: link('/spaces'),
        service_instances: link('/service_instances'),
        service_plans: link('/service_plans'),
        service_offerings: link('/service_offerings'),
        apps: link('/apps'),
      },
    },
  };
};

const v3Instance: Route = (cf, { path }) => {
  const guid = /^\/v3\/service_instances\/([^/]+)$/.exec(path)?.[1];
  if (guid === undefined) return undefined;
  const i = cf.w.instances.find((x) => x.guid === guid);
  if (!i) return { status: 404, body: ccBodies.v3NotFound('Service instance') };
  return { status: 200, body: v3ServiceInstance(cf.view(cf.read(i)), cf.w.api.url) };
};

const v3Instances: Route = (cf, { path, query, target }) => {
  if (path !== '/v3/service_instances') return undefined;
  const names = query.get('names')?.split(',');
  const spaces = query.get('space_guids')?.split(',');
  const found = cf.w.instances.filter((i) => (!names || names.includes(i.name)) && (!spaces || spaces.includes(i.spaceGuid)));
  const api = cf.w.api.url;
  return {
    status: 200,
    body: v3List(
      found.map((i) => v3ServiceInstance(cf.view(cf.read(i)), api)),
      api,
      target,
    ),
  };
};

const v2Instance: Route = (cf, { path }) => {
  const guid = /^\/v2\/service_instances\/([^/]+)$/.exec(path)?.[1];
  if (guid === undefined) return undefined;
  const i = cf.w.instances.find((x) => x.guid === guid);
  if (!i) return { status: 404, body: ccBodies.v2InstanceNotFound(guid) };
  return { status: 200, body: v2ServiceInstance(cf.view(cf.read(i))) };
};

const v2SpaceInstances: Route = (cf, { path, query }) => {
  const spaceGuid = /^\/v2\/spaces\/([^/]+)\/service_instances$/.exec(path)?.[1];
  if (spaceGuid === undefined) return undefined;
  const name = /^name:(.*)$/.exec(query.get('q') ?? '')?.[1];
  const found = cf.w.instances.filter((i) => i.spaceGuid === spaceGuid && (name === undefined || i.name === name));
  return { status: 200, body: v2List(found.map((i) => v2ServiceInstance(cf.view(cf.read(i))))) };
};

const v3Bindings: Route = (cf, { path, query, target }) => {
  if (path !== '/v3/service_credential_bindings') return undefined;
  const guids = query.get('service_instance_guids')?.split(',');
  const resources = bindings(cf)
    .filter((b) => !guids || guids.includes(b.instance))
    .map((b) => ({
      guid: b.guid,
      type: 'app',
      name: null,
      last_operation: null,
      relationships: { app: { data: { guid: b.app } }, service_instance: { data: { guid: b.instance } } },
    }));
  return { status: 200, body: v3List(resources, cf.w.api.url, target) };
};

const v2Bindings: Route = (cf, { path }) => {
  const guid = /^\/v2\/service_instances\/([^/]+)\/service_bindings$/.exec(path)?.[1];
  if (guid === undefined) return undefined;
  const found = bindings(cf).filter((b) => b.instance === guid);
  return {
    status: 200,
    body: v2List(found.map((b) => ({ metadata: { guid: b.guid }, entity: { app_guid: b.app, service_instance_guid: b.instance } }))),
  };
};

const ROUTES: Route[] = [
  info,
  v3Root,
  v3Instance,
  v3Instances,
  v2Instance,
  v2SpaceInstances,
  v3Bindings,
  v2Bindings,
  v2Events,
  v2OneEvent,
  v3AuditEvents,
  v3OneAuditEvent,
  v2Orgs,
  v2Spaces,
  v2Apps,
  v3Orgs,
  v3Spaces,
  v3Apps,
  catalogLists,
  v2Plan,
  v2Service,
  v3Plan,
  v3OfferingRoute,
];

function bindings(cf: CfContext): { guid: string; app: string; instance: string }[] {
  return cf.w.orgs.flatMap((o) =>
    o.spaces.flatMap((s) =>
      s.apps.flatMap((a) => a.boundServiceGuids.map((g) => ({ guid: bindingGuid(a.guid, g), app: a.guid, instance: g }))),
    ),
  );
}
