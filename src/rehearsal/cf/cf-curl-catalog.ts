/**
 * The service catalog through `cf curl`: `/v2/service_plans/G` and `/v2/services/G`,
 * `/v3/service_plans/G` (its offering in `relationships.service_offering`, and in `included`
 * with `?include=service_offering`) and `/v3/service_offerings/G`; and the whole catalog as one
 * page of `/v2/services`, `/v2/service_plans`, `/v3/service_offerings`, `/v3/service_plans`.
 */
import { ccBodies, v2List, v3List } from './cf-cc-bodies.js';
import type { CfContext } from './cf-context.js';
import { guidIn, okAnswer, type Route } from './cf-route.js';
import type { CfOffering } from './cf-world.js';

type Plan = CfOffering['plans'][number];

function planOf(cf: CfContext, guid: string): { plan: Plan; offering: CfOffering } | undefined {
  for (const offering of cf.w.offerings) {
    const plan = offering.plans.find((p) => p.guid === guid);
    if (plan) return { plan, offering };
  }
  return undefined;
}

const v2Meta = (kind: string, guid: string, createdAt: string | undefined) => ({
  guid,
  url: `/v2/${kind}/${guid}`,
  created_at: createdAt ?? null,
  updated_at: null,
});

function v3Offering(o: CfOffering, api: string) {
  return {
    guid: o.guid,
    name: o.label,
    description: o.description ?? '',
    available: true,
    tags: [],
    requires: [],
    created_at: o.createdAt ?? null,
    updated_at: o.createdAt ?? null,
    shareable: false,
    broker_catalog: { id: o.brokerId ?? o.guid, metadata: {}, features: { plan_updateable: false, bindable: true } },
    relationships: { service_broker: { data: { guid: o.brokerGuid ?? null } } },
    metadata: { labels: {}, annotations: {} },
    links: {
      self: { href: `${api}/v3/service_offerings/${o.guid}` },
      service_plans: { href: `${api}/v3/service_plans?service_offering_guids=${o.guid}` },
    },
  };
}

export const v2Plan: Route = (cf, { path }) => {
  const guid = guidIn(path, '/v2/service_plans');
  if (guid === undefined) return undefined;
  const found = planOf(cf, guid);
  if (!found) {
    return {
      status: 404,
      body: { code: 110003, description: `The service plan could not be found: ${guid}`, error_code: 'CF-ServicePlanNotFound' },
    };
  }
  return okAnswer(v2PlanBody(found.plan, found.offering));
};

function v2PlanBody(plan: Plan, offering: CfOffering) {
  return {
    metadata: v2Meta('service_plans', plan.guid, offering.createdAt),
    entity: {
      name: plan.name,
      free: true,
      description: plan.description ?? '',
      service_guid: offering.guid,
      unique_id: plan.brokerId ?? plan.guid,
      public: true,
      active: true,
      service_url: `/v2/services/${offering.guid}`,
      service_instances_url: `/v2/service_plans/${plan.guid}/service_instances`,
    },
  };
}

export const v2Service: Route = (cf, { path }) => {
  const guid = guidIn(path, '/v2/services');
  if (guid === undefined) return undefined;
  const o = cf.w.offerings.find((x) => x.guid === guid);
  if (!o)
    return {
      status: 404,
      body: { code: 120003, description: `The service could not be found: ${guid}`, error_code: 'CF-ServiceNotFound' },
    };
  return okAnswer(v2ServiceBody(o));
};

function v2ServiceBody(o: CfOffering) {
  return {
    metadata: v2Meta('services', o.guid, o.createdAt),
    entity: {
      label: o.label,
      description: o.description ?? '',
      active: true,
      bindable: true,
      unique_id: o.brokerId ?? o.guid,
      tags: [],
      requires: [],
      service_broker_guid: o.brokerGuid ?? null,
      plan_updateable: false,
      service_plans_url: `/v2/services/${o.guid}/service_plans`,
    },
  };
}

export const v3Plan: Route = (cf, { path, query }) => {
  const guid = guidIn(path, '/v3/service_plans');
  if (guid === undefined) return undefined;
  const found = planOf(cf, guid);
  if (!found) return { status: 404, body: ccBodies.v3NotFound('Service plan') };
  const { plan, offering } = found;
  const api = cf.w.api.url;
  const body = v3PlanBody(plan, offering, api);
  const include = query.get('include')?.split(',') ?? [];
  return okAnswer(include.includes('service_offering') ? { ...body, included: { service_offerings: [v3Offering(offering, api)] } } : body);
};

function v3PlanBody(plan: Plan, offering: CfOffering, api: string) {
  return {
    guid: plan.guid,
    created_at: offering.createdAt ?? null,
    updated_at: offering.createdAt ?? null,
    name: plan.name,
    visibility_type: 'public',
    available: true,
    free: true,
    description: plan.description ?? '',
    broker_catalog: { id: plan.brokerId ?? plan.guid, metadata: {}, features: { bindable: true, plan_updateable: false } },
    relationships: { service_offering: { data: { guid: offering.guid } } },
    metadata: { labels: {}, annotations: {} },
    links: {
      self: { href: `${api}/v3/service_plans/${plan.guid}` },
      service_offering: { href: `${api}/v3/service_offerings/${offering.guid}` },
    },
  };
}

export const v3OfferingRoute: Route = (cf, { path }) => {
  const guid = guidIn(path, '/v3/service_offerings');
  if (guid === undefined) return undefined;
  const o = cf.w.offerings.find((x) => x.guid === guid);
  return o ? okAnswer(v3Offering(o, cf.w.api.url)) : { status: 404, body: ccBodies.v3NotFound('Service offering') };
};

/** The whole catalog, one page of each list (a platform has a handful of offerings). */
export const catalogLists: Route = (cf, { path }) => {
  const api = cf.w.api.url;
  const plans = cf.w.offerings.flatMap((offering) => offering.plans.map((plan) => ({ plan, offering })));
  if (path === '/v2/services') return okAnswer(v2List(cf.w.offerings.map(v2ServiceBody)));
  if (path === '/v2/service_plans') return okAnswer(v2List(plans.map((p) => v2PlanBody(p.plan, p.offering))));
  if (path === '/v3/service_offerings')
    return okAnswer(
      v3List(
        cf.w.offerings.map((o) => v3Offering(o, api)),
        api,
        path,
      ),
    );
  if (path === '/v3/service_plans')
    return okAnswer(
      v3List(
        plans.map((p) => v3PlanBody(p.plan, p.offering, api)),
        api,
        path,
      ),
    );
  return undefined;
};
