/**
 * What `cf curl` prints, and the Cloud Controller bodies (v3 and v2) the simulator serves
 * through it.
 */
import { type LastOperation, type Rendered, cfMajor } from '../../adapters/cf/index.js';
import { ok, renderFailure } from './cf-text.js';

/**
 * `cf curl PATH [-f]`. Without `-f` an HTTP error still exits 0 and prints the error body;
 * with it (6.43+) the CLI exits 22 and prints "The requested URL returned error: N".
 * CLIs before 8 re-indent JSON (three spaces); 8.x prints the body as received.
 */
export function renderCurl(version: string, status: number, body: unknown, fail: boolean): Rendered {
  if (fail && status >= 400) return renderFailure(version, `The requested URL returned error: ${status}`, '', 22);
  const text = cfMajor(version) >= 8 ? JSON.stringify(body) : JSON.stringify(body, null, 3);
  return ok(`${text}\n`);
}

/** Cloud Controller bodies the simulator serves through `cf curl`. */
export const ccBodies = {
  v3NotFound: (what: string) => ({ errors: [{ detail: `${what} not found`, title: 'CF-ResourceNotFound', code: 10010 }] }),
  v3UnknownRequest: () => ({ errors: [{ detail: 'Unknown request', title: 'CF-NotFound', code: 10000 }] }),
  v2UnknownRequest: () => ({ code: 10000, description: 'Unknown request', error_code: 'CF-NotFound' }),
  v2InstanceNotFound: (guid: string) => ({
    description: `The service instance could not be found: ${guid}`,
    error_code: 'CF-ServiceInstanceNotFound',
    code: 60004,
  }),
};

export interface InstanceView {
  guid: string;
  name: string;
  spaceGuid: string;
  planGuid: string;
  offeringGuid: string;
  createdAt: string;
  lastOperation: LastOperation;
}

function lastOperationJson(op: LastOperation) {
  return { type: op.type, state: op.state, description: op.description, updated_at: op.updatedAt, created_at: op.createdAt };
}

export function v3ServiceInstance(i: InstanceView, apiUrl: string) {
  return {
    guid: i.guid,
    created_at: i.createdAt,
    updated_at: i.lastOperation.updatedAt,
    name: i.name,
    tags: [],
    last_operation: lastOperationJson(i.lastOperation),
    type: 'managed',
    maintenance_info: {},
    upgrade_available: false,
    dashboard_url: null,
    relationships: { service_plan: { data: { guid: i.planGuid } }, space: { data: { guid: i.spaceGuid } } },
    metadata: { labels: {}, annotations: {} },
    links: {
      self: { href: `${apiUrl}/v3/service_instances/${i.guid}` },
      service_plan: { href: `${apiUrl}/v3/service_plans/${i.planGuid}` },
      space: { href: `${apiUrl}/v3/spaces/${i.spaceGuid}` },
    },
  };
}

export function v2ServiceInstance(i: InstanceView) {
  return {
    metadata: { guid: i.guid, url: `/v2/service_instances/${i.guid}`, created_at: i.createdAt, updated_at: i.lastOperation.updatedAt },
    entity: {
      name: i.name,
      credentials: {},
      service_plan_guid: i.planGuid,
      space_guid: i.spaceGuid,
      gateway_data: null,
      dashboard_url: null,
      type: 'managed_service_instance',
      last_operation: lastOperationJson(i.lastOperation),
      tags: [],
      service_guid: i.offeringGuid,
      space_url: `/v2/spaces/${i.spaceGuid}`,
      service_plan_url: `/v2/service_plans/${i.planGuid}`,
      service_bindings_url: `/v2/service_instances/${i.guid}/service_bindings`,
    },
  };
}

export function v3List(resources: unknown[], apiUrl: string, path: string) {
  return {
    pagination: {
      total_results: resources.length,
      total_pages: 1,
      first: { href: `${apiUrl}${path}` },
      last: { href: `${apiUrl}${path}` },
      next: null,
      previous: null,
    },
    resources,
  };
}

export function v2List(resources: unknown[]) {
  return { total_results: resources.length, total_pages: 1, prev_url: null, next_url: null, resources };
}
