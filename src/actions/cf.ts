/**
 * Cloud Foundry steps, through the cf CLI (any era from v6 to v8).
 */
import { defineAction, type ActionDef } from '../engine/action.js';
import type { StepContext } from '../engine/context.js';
import { StepFailed } from '../engine/errors.js';
import { CfCli } from '../platform/cf.js';

export function cfCli(ctx: StepContext): CfCli {
  return new CfCli(ctx.cf, { binary: ctx.settings.cfBinary, env: { CF_COLOR: 'false' } });
}

const target = defineAction({
  name: 'cf.target',
  summary: "Target the user's org and space (and learn the CLI's era and the space GUID)",
  effect: 'read',
  params: {
    org: { type: 'string', required: true, description: 'organization' },
    space: { type: 'string', required: true, description: 'space' },
  },
  outputs: {
    cfVersion: { type: 'string', description: 'version of the cf CLI' },
    spaceGuid: { type: 'string', description: 'GUID of the space' },
  },
  async run(ctx, p) {
    const cf = cfCli(ctx);
    const v = await cf.version();
    ctx.evidence(`cf CLI ${v.version} (${v.era} output formats)`);
    await cf.target(String(p.org), String(p.space));
    const spaceGuid = await cf.spaceGuid(String(p.space));
    ctx.evidence(`space ${p.org}/${p.space} has GUID ${spaceGuid}`);
    return { cfVersion: v.version, spaceGuid };
  },
});

const checkApps = defineAction({
  name: 'cf.check-apps',
  summary: 'Confirm the apps to rebind exist in the space',
  effect: 'read',
  params: { apps: { type: 'string[]', required: true, description: 'apps the service was bound to' } },
  outputs: { apps: { type: 'string[]', description: 'apps found in the space' } },
  async run(ctx, p) {
    const wanted = p.apps as string[];
    const present = await cfCli(ctx).apps();
    const missing = wanted.filter((a) => !present.includes(a));
    if (missing.length) {
      throw new StepFailed(`app(s) not found in the targeted space: ${missing.join(', ')} (the space has: ${present.join(', ') || 'no apps'})`, {
        hint: 'ask the user for the exact app names (inputs.apps), or recreate the apps first; then resume',
      });
    }
    ctx.evidence(`apps present: ${wanted.join(', ') || '(none to rebind)'}`);
    return { apps: wanted };
  },
});

const checkNameFree = defineAction({
  name: 'cf.check-name-free',
  summary: 'Make sure no service instance already has the name (create-service would exit 0 and do nothing)',
  effect: 'read',
  params: { name: { type: 'string', required: true, description: 'service instance name' } },
  outputs: { free: { type: 'boolean', description: 'true when the name is free' } },
  async run(ctx, p) {
    const guid = await cfCli(ctx).serviceGuid(String(p.name));
    if (guid) {
      throw new StepFailed(`a service instance named "${p.name}" already exists in this space (GUID ${guid})`, {
        hint: 'cf create-service would print OK and create nothing; ask the user whether to recover under another name, or rename/delete the existing instance, then resume',
      });
    }
    ctx.evidence(`cf service ${p.name} --guid: not found, so the name is free`);
    return { free: true };
  },
});

const createService = defineAction({
  name: 'cf.create-service',
  summary: 'Recreate the service instance',
  effect: 'write',
  params: {
    offering: { type: 'string', required: true, description: 'service offering (cf marketplace)' },
    plan: { type: 'string', required: true, description: 'plan' },
    name: { type: 'string', required: true, description: 'service instance name' },
  },
  outputs: { instanceGuid: { type: 'string', description: 'GUID of the new service instance' } },
  async run(ctx, p) {
    const cf = cfCli(ctx);
    await cf.createService(String(p.offering), String(p.plan), String(p.name));
    const guid = await cf.serviceGuid(String(p.name));
    if (!guid) throw new StepFailed(`cf create-service succeeded but cf service ${p.name} --guid finds nothing`, { hint: 'check `cf services` in the space, then resume' });
    ctx.evidence(`new service instance ${p.name} has GUID ${guid}`);
    return { instanceGuid: guid };
  },
  async probe(ctx, p) {
    const guid = await cfCli(ctx).serviceGuid(String(p.name));
    return guid
      ? { done: true, outputs: { instanceGuid: guid }, why: `service ${p.name} exists with GUID ${guid}, and the name was free before this step` }
      : { done: false, why: `no service named ${p.name} yet` };
  },
});

const waitService = defineAction({
  name: 'cf.wait-service',
  summary: 'Wait until the broker has created the instance',
  effect: 'read',
  params: {
    name: { type: 'string', required: true, description: 'service instance name' },
    guid: { type: 'string', required: true, description: 'service instance GUID' },
  },
  outputs: { state: { type: 'string', description: 'last operation, e.g. "create succeeded"' } },
  async run(ctx, p) {
    const status = await cfCli(ctx).waitForService(String(p.name), String(p.guid), {
      intervalMs: ctx.settings.createPollMs,
      deadlineMs: ctx.settings.createDeadlineMs,
      sleep: (ms: number) => ctx.sleep(ms),
      onPoll: (s: { type: string; state: string }) => ctx.progress(`${s.type} ${s.state}`),
    });
    ctx.evidence(`last operation: ${status.type} ${status.state} (read through ${status.source})`);
    return { state: `${status.type} ${status.state}` };
  },
});

const bindApps = defineAction({
  name: 'cf.bind-apps',
  summary: 'Bind the recovered service to the apps',
  effect: 'write',
  params: {
    name: { type: 'string', required: true, description: 'service instance name' },
    apps: { type: 'string[]', required: true, description: 'apps to bind' },
  },
  outputs: { bound: { type: 'string[]', description: 'apps bound' } },
  async run(ctx, p) {
    const cf = cfCli(ctx);
    for (const app of p.apps as string[]) await cf.bindService(app, String(p.name));
    return { bound: p.apps as string[] };
  },
  // Binding an app that is already bound is reported as success by every cf era, so a rerun is safe.
  async probe() {
    return { done: false, why: 'binding again is harmless: cf reports an existing binding as success' };
  },
});

const restartApps = defineAction({
  name: 'cf.restart-apps',
  summary: 'Restart the apps so they read the new credentials',
  effect: 'write',
  params: { apps: { type: 'string[]', required: true, description: 'apps to restart' } },
  outputs: { restarted: { type: 'string[]', description: 'apps restarted' } },
  async run(ctx, p) {
    const cf = cfCli(ctx);
    for (const app of p.apps as string[]) await cf.restart(app);
    return { restarted: p.apps as string[] };
  },
  async probe() {
    return { done: false, why: 'restarting an app again only costs a short outage of that app' };
  },
});

export const cfActions: ActionDef[] = [target, checkApps, checkNameFree, createService, waitService, bindApps, restartApps];
