/**
 * `cf service` and `cf create-service` against the simulated Cloud Controller: a create starts
 * an asynchronous operation that finishes after a number of status reads (or at once with -w).
 */
import { randomUUID } from 'node:crypto';
import { renderGuid, renderNoTarget } from './cf-formats.js';
import { renderFailure } from './cf-text.js';
import {
  renderCreateService,
  renderNameTaken,
  renderOfferingNotFound,
  renderPlanNotFound,
  renderService,
  renderServiceNotFound,
} from './cf-service-formats.js';
import { cfEra, type Rendered } from '../../adapters/cf/index.js';
import { recordAudit } from './cf-audit.js';
import type { CfContext } from './cf-context.js';
import type { CfServiceInstance } from './cf-world.js';
import type { CfFlags } from './cf-args.js';
import { simulateUpdateService } from './cf-sim-update.js';

export function showService(cf: CfContext, name: string, guidOnly: boolean): Rendered {
  const space = cf.space();
  if (!space) return renderNoTarget(cf.v);
  const i = cf.instanceByName(name);
  if (!i) return renderServiceNotFound(cf.v, name);
  if (guidOnly) return renderGuid(i.guid);
  cf.read(i);
  const offering = cf.w.offerings.find((o) => o.label === i.offering);
  const boundApps = space.apps.filter((a) => a.boundServiceGuids.includes(i.guid)).map((a) => a.name);
  return renderService(cf.v, cf.who(), {
    name: i.name,
    guid: i.guid,
    offering: i.offering,
    plan: i.plan,
    broker: offering?.broker ?? i.offering,
    description: offering?.description ?? '',
    lastOperation: i.lastOperation,
    boundApps,
  });
}

const INVALID_PARAMETERS =
  'Invalid configuration provided for -c flag. Please provide a valid JSON object or path to a file containing a valid JSON object.';

/** The -c parameters: absent, a JSON object, or "invalid" as the CLI refuses them. */
function parseParameters(raw: string | true | undefined): Record<string, unknown> | undefined | 'invalid' {
  if (typeof raw !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'invalid';
  }
  return isObject(parsed) ? parsed : 'invalid';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function createService(cf: CfContext, positional: string[], flags: CfFlags): Rendered {
  const space = cf.space();
  if (!space) return renderNoTarget(cf.v);
  const [offeringName = '', planName = '', name = ''] = positional;
  const who = cf.who();
  // Every era finds the plan before it asks the Cloud Controller (legacy cf/commands/service/create_service.go, v7action CreateManagedServiceInstance).
  const offering = cf.w.offerings.find((o) => o.label === offeringName);
  if (!offering) return renderOfferingNotFound(cf.v, who, name, offeringName);
  if (!offering.plans.some((p) => p.name === planName)) return renderPlanNotFound(cf.v, who, name, offeringName, planName);
  const taken = cf.instanceByName(name);
  if (taken) {
    // Before 8, "already exists" only when the taken name has the plan asked for; otherwise the Cloud
    // Controller's refusal (cf/api/services.go CreateServiceInstance). 8 says "already exists" of any.
    const samePlan = taken.offering === offeringName && taken.plan === planName;
    return cfEra(cf.v) === 'v8' || samePlan ? renderCreateService(cf.v, who, name, 'exists') : renderNameTaken(cf.v, who, name);
  }
  const parameters = parseParameters(flags.get('-c'));
  if (parameters === 'invalid') return renderFailure(cf.v, INVALID_PARAMETERS);
  const now = cf.now();
  const instance: CfServiceInstance = {
    guid: cf.w.nextInstanceGuids.shift() ?? randomUUID(),
    name,
    spaceGuid: space.guid,
    offering: offering.label,
    plan: planName,
    createdAt: now,
    lastOperation: { type: 'create', state: 'in progress', description: '', createdAt: now, updatedAt: now },
    pollsUntilReady: cf.w.pollsPerCreate ?? 2,
    ...(cf.w.failNextCreate !== undefined ? { failWith: cf.w.failNextCreate } : {}),
    ...(parameters ? { parameters } : {}),
  };
  delete cf.w.failNextCreate;
  cf.w.instances.push(instance);
  recordAudit(cf, {
    type: 'audit.service_instance.create',
    target: { guid: instance.guid, type: 'service_instance', name },
    data: {
      request: {
        name,
        service_plan_guid: offering.plans.find((p) => p.name === planName)?.guid ?? '',
        space_guid: space.guid,
        ...(parameters ? { parameters: '[PRIVATE DATA HIDDEN]' } : {}),
      },
    },
    spaceGuid: space.guid,
    orgGuid: cf.org()?.guid ?? '',
  });
  cf.hooks.onServiceCreated?.(instance);
  if (!flags.has('-w') && !flags.has('--wait')) return renderCreateService(cf.v, who, name, 'in progress');
  while (instance.lastOperation.state === 'in progress') cf.read(instance);
  return instance.lastOperation.state === 'failed'
    ? renderCreateService(cf.v, who, name, 'failed', instance.lastOperation.description)
    : renderCreateService(cf.v, who, name, 'created');
}

/** `cf update-service NAME [-c JSON] [-p PLAN]`, answered by the simulated broker. */
export function updateService(cf: CfContext, name: string, flags: CfFlags): Rendered {
  if (!cf.space()) return renderNoTarget(cf.v);
  const config = flags.get('-c');
  const plan = flags.get('-p');
  return simulateUpdateService(
    cf.w,
    cf.who(),
    {
      name,
      instance: cf.instanceByName(name),
      ...(typeof config === 'string' ? { config } : {}),
      ...(typeof plan === 'string' ? { plan } : {}),
      now: cf.now(),
    },
    cf.hooks.onServiceUpdated?.bind(cf.hooks),
  );
}
