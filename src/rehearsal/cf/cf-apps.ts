/**
 * The simulated cf CLI's commands on orgs, spaces and apps: target, space, apps, bind-service,
 * unbind-service, restart and restage.
 */
import {
  renderAppLifecycle,
  renderApps,
  renderBindService,
  renderGuid,
  renderNoTarget,
  renderOrgNotFound,
  renderSpaceNotFound,
  renderTarget,
  renderUnbindService,
} from './cf-formats.js';
import { renderFailure } from './cf-text.js';
import { cfEra, type Rendered } from '../../adapters/cf/index.js';
import { renderServiceNotFound } from './cf-service-formats.js';
import type { CfFlags } from './cf-args.js';
import { recordAudit } from './cf-audit.js';
import { NO_ORG, type CfContext } from './cf-context.js';
import type { CfApp, CfServiceInstance } from './cf-world.js';

export function target(cf: CfContext, flags: CfFlags): Rendered {
  const orgName = flags.get('-o');
  const spaceName = flags.get('-s');
  if (typeof orgName === 'string') {
    const org = cf.w.orgs.find((o) => o.name === orgName);
    if (!org) return renderOrgNotFound(cf.v, orgName);
    cf.w.target = { org: org.name, space: null };
  }
  if (typeof spaceName === 'string') {
    const org = cf.org();
    if (!org) return renderFailure(cf.v, NO_ORG);
    const space = org.spaces.find((s) => s.name === spaceName);
    if (!space) return renderSpaceNotFound(cf.v, spaceName);
    cf.w.target.space = space.name;
  }
  return renderTarget(cf.v, { apiUrl: cf.w.api.url, apiVersion: cf.w.api.version, ...cf.who() });
}

export function showSpace(cf: CfContext, name: string, guidOnly: boolean): Rendered {
  const org = cf.org();
  if (!org) return renderFailure(cf.v, NO_ORG);
  const space = org.spaces.find((s) => s.name === name);
  // The legacy `cf space` fails from its space requirement: the repository's "Space NAME not found".
  if (!space) return cfEra(cf.v) === 'legacy' ? renderFailure(cf.v, `Space ${name} not found`) : renderSpaceNotFound(cf.v, name);
  if (guidOnly) return renderGuid(space.guid);
  return {
    stdout: `name:   ${space.name}\norg:    ${org.name}\napps:   ${space.apps.map((a) => a.name).join(', ')}\n`,
    stderr: '',
    exitCode: 0,
  };
}

export function listApps(cf: CfContext): Rendered {
  const space = cf.space();
  if (!space) return renderNoTarget(cf.v);
  const rows = space.apps.map((a) => ({
    name: a.name,
    state: a.state,
    instances: a.state === 'started' ? `${a.instances ?? 1}/${a.instances ?? 1}` : `0/${a.instances ?? 1}`,
    memory: '1G',
    disk: '1G',
    urls: [`${a.name.replace(/\s+/g, '-')}.${new URL(cf.w.api.url).hostname.replace(/^api\./, '')}`],
  }));
  return renderApps(cf.v, cf.who(), rows);
}

/** The app and the service instance a bind or unbind names, or what the CLI prints when one is missing. */
function appAndInstance(cf: CfContext, appName: string, name: string): { app: CfApp; i: CfServiceInstance } | Rendered {
  const app = cf.appOr(appName);
  if (!('guid' in app)) return app;
  const i = cf.instanceByName(name);
  return i ? { app, i } : renderServiceNotFound(cf.v, name);
}

export function bind(cf: CfContext, appName: string, name: string): Rendered {
  const found = appAndInstance(cf, appName, name);
  if (!('app' in found)) return found;
  const { app, i } = found;
  const already = app.boundServiceGuids.includes(i.guid);
  if (!already && i.lastOperation.state === 'in progress') {
    return renderFailure(cf.v, `An operation for service instance ${name} is in progress.`);
  }
  if (!already) {
    app.boundServiceGuids.push(i.guid);
    recordAudit(cf, {
      type: 'audit.service_binding.create',
      target: { guid: bindingGuid(app.guid, i.guid), type: 'service_binding', name: '' },
      data: { request: { service_instance_guid: i.guid, app_guid: app.guid } },
      spaceGuid: i.spaceGuid,
      orgGuid: cf.org()?.guid ?? '',
    });
  }
  return renderBindService(cf.v, cf.who(), appName, name, already);
}

export function unbind(cf: CfContext, appName: string, name: string): Rendered {
  const found = appAndInstance(cf, appName, name);
  if (!('app' in found)) return found;
  const { app, i } = found;
  const was = app.boundServiceGuids.includes(i.guid);
  app.boundServiceGuids = app.boundServiceGuids.filter((g) => g !== i.guid);
  return renderUnbindService(cf.v, cf.who(), appName, name, was);
}

export function lifecycle(cf: CfContext, appName: string, verb: 'restart' | 'restage'): Rendered {
  const app = cf.appOr(appName);
  if (!('guid' in app)) return app;
  app.state = 'started';
  if (verb === 'restart') app.restarts = (app.restarts ?? 0) + 1;
  else app.restages = (app.restages ?? 0) + 1;
  cf.hooks.onAppRestarted?.(app);
  return renderAppLifecycle(cf.v, cf.who(), appName, verb);
}

/** The GUID the simulated Cloud Controller gives the binding of an app to an instance. */
export function bindingGuid(appGuid: string, instanceGuid: string): string {
  return `${appGuid.slice(0, 8)}-${instanceGuid.slice(9)}`;
}
