/**
 * Cloud Foundry steps, through the cf CLI (any era from v6 to v8).
 */
import { commandLine, quote } from '../core/command-line.js';
import { defineAction, type ActionDef, defaulted, optional, output, required } from '../engine/runbook/index.js';
import { StepFailed, UsageError } from '../core/errors.js';
import { failureText, hintFor, cfEnv, nodeCountParams } from '../adapters/cf/index.js';
import { confirmationMatches } from '../engine/operator/index.js';
import { cfCli, guidInSpace, offeringFor } from './support/cf.js';

const target = defineAction({
  name: 'cf.target',
  summary: "Target the user's org and space (and learn the CLI's era, the API, the user and the space GUID)",
  effect: 'read',
  params: { org: required('string', 'organization'), space: required('string', 'space') },
  outputs: {
    cfVersion: output('string', 'version of the cf CLI'),
    spaceGuid: output('string', 'GUID of the space'),
    api: output('string', 'Cloud Controller API endpoint the CLI is logged in to'),
    user: output('string', 'the cf user'),
  },
  async run(ctx, p) {
    const cf = cfCli(ctx);
    const v = await cf.version();
    ctx.evidence(`cf CLI ${v.version} (${v.era} output formats)`);
    await cf.target(p.org, p.space);
    const spaceGuid = await cf.spaceGuid(p.space);
    const now = await cf.currentTarget();
    ctx.evidence(`space ${p.org}/${p.space} has GUID ${spaceGuid} (API ${now.api ?? '?'}, user ${now.user ?? '?'})`);
    return { cfVersion: v.version, spaceGuid, api: now.api ?? '', user: now.user ?? '' };
  },
  /**
   * The cf target lives in CF_HOME, which anyone may change between a crash and a resume: check it is
   * the same API and user, target the journaled org and space again, and check the space by GUID.
   */
  async reassert(ctx, p, outputs) {
    const cf = cfCli(ctx);
    const { api: wasApi, user: wasUser } = outputs;
    await cf.target(p.org, p.space);
    const now = await cf.currentTarget();
    if (wasApi && now.api !== wasApi) {
      throw new StepFailed(`cf now points at API ${now.api ?? '(none)'}, but this run started against ${wasApi}`, {
        hint: `log in to the run's platform (${quote(['cf', 'login', '-a', wasApi, ...(wasUser ? ['-u', wasUser] : [])])}), then resume`,
      });
    }
    if (wasUser && now.user !== wasUser) {
      throw new StepFailed(`cf is now logged in as ${now.user ?? '(nobody)'}, but this run started as ${wasUser}`, {
        hint: `log in as ${wasUser} (${quote(['cf', 'login', '-a', wasApi || 'API', '-u', wasUser])}), then resume`,
      });
    }
    const spaceGuid = await cf.spaceGuid(p.space);
    if (spaceGuid !== outputs.spaceGuid) {
      throw new StepFailed(
        `space ${p.org}/${p.space} now has GUID ${spaceGuid}, but this run started in the space with GUID ${outputs.spaceGuid}`,
        {
          hint: `the space was deleted and recreated since; nothing more was done. End this run (${commandLine(['abandon', ctx.runId])} --reason TEXT) and start a new one`,
        },
      );
    }
    return `cf targets ${p.org}/${p.space} again: space GUID ${spaceGuid}${wasApi ? `, API ${wasApi}` : ''}${wasUser ? `, user ${wasUser}` : ''}, as journaled`;
  },
});

const checkApps = defineAction({
  name: 'cf.check-apps',
  summary: 'Confirm the apps to rebind exist in the space',
  effect: 'read',
  params: {
    apps: required('string[]', 'apps the service was bound to'),
    missing: defaulted(
      'string',
      'fail',
      'what a missing app does: "fail" the step, or "report" it and rebind the others (a deleted space took its apps)',
    ),
  },
  outputs: {
    apps: output('string[]', 'apps found in the space (those to rebind)'),
    missing: output('string[]', 'apps not found in the space'),
  },
  async run(ctx, p) {
    if (p.missing !== 'fail' && p.missing !== 'report')
      throw new UsageError(`missing must be "fail" or "report", not "${p.missing}"`, { hint: 'correct the step in the runbook' });
    const wanted = p.apps;
    const present = await cfCli(ctx).apps();
    const missing = wanted.filter((a) => !present.includes(a));
    if (missing.length && p.missing === 'fail') {
      throw new StepFailed(
        `app(s) not found in the targeted space: ${missing.join(', ')} (the space has: ${present.join(', ') || 'no apps'})`,
        {
          hint: 'ask the user for the exact app names (inputs.apps), or recreate the apps first; then resume',
        },
      );
    }
    const found = wanted.filter((a) => present.includes(a));
    ctx.evidence(
      `apps present: ${found.join(', ') || '(none to rebind)'}${missing.length ? `; missing (not rebound): ${missing.join(', ')}` : ''}`,
    );
    return { apps: found, missing };
  },
});

const createSpace = defineAction({
  name: 'cf.create-space',
  summary: 'Create the space in the org (cf create-space NAME -o ORG)',
  effect: 'write',
  params: { org: required('string', 'organization'), space: required('string', 'name of the space to create') },
  outputs: { spaceGuid: output('string', 'GUID of the space') },
  async run(ctx, p) {
    const cf = cfCli(ctx);
    const argv = [ctx.settings.cfBinary, 'create-space', p.space, '-o', p.org];
    const r = await ctx.cf.run({ argv, env: cfEnv(ctx.runtime.env), writes: true });
    if (r.exitCode !== 0) {
      const reason = failureText(r) || '(no output)';
      throw new StepFailed(
        ctx.runtime.redactor.redact(`Creating space ${p.space} in org ${p.org} failed: \`${quote(argv)}\` exited ${r.exitCode}: ${reason}`),
        {
          hint: ctx.runtime.redactor.redact(hintFor(reason, argv)),
        },
      );
    }
    await cf.target(p.org, p.space);
    const spaceGuid = await cf.spaceGuid(p.space);
    ctx.evidence(`space ${p.org}/${p.space} has GUID ${spaceGuid}`);
    return { spaceGuid };
  },
  async probe(ctx, p) {
    const cf = cfCli(ctx);
    const r = await ctx.cf.run({
      argv: [ctx.settings.cfBinary, 'target', '-o', p.org, '-s', p.space],
      env: cfEnv(ctx.runtime.env),
      writes: false,
    });
    if (r.exitCode !== 0) return { done: false, why: `no space ${p.space} in org ${p.org} yet` };
    const spaceGuid = await cf.spaceGuid(p.space);
    return { done: true, outputs: { spaceGuid }, why: `space ${p.space} exists in org ${p.org} with GUID ${spaceGuid}` };
  },
});

const checkNameFree = defineAction({
  name: 'cf.check-name-free',
  summary: 'Make sure no service instance already has the name (create-service would exit 0 and do nothing)',
  effect: 'read',
  params: {
    name: required('string', 'service instance name'),
    spaceGuid: optional('string', 'the space (by GUID) the name must be free in'),
  },
  outputs: {
    free: output('boolean', 'true when the name is free'),
    adoptGuid: output('string', 'an instance an abandoned run created under this name, which the operator chose to adopt ("" when none)'),
  },
  chooses: {
    adoptInstance: { description: 'whether an instance an abandoned run created under the name is adopted as the new instance' },
  },
  async run(ctx, p) {
    const guid = await guidInSpace(ctx, p.name, p.spaceGuid);
    if (!guid) {
      ctx.evidence(`no service instance named ${p.name} in the space, so the name is free`);
      return { free: true, adoptGuid: '' };
    }
    const earlier = ctx.adoptable.find((a) => a.instanceGuid === guid);
    if (!earlier) {
      throw new StepFailed(`a service instance named "${p.name}" already exists in this space (GUID ${guid})`, {
        hint: 'cf create-service would print OK and create nothing; ask the user whether to recover under another name, or rename/delete the existing instance, then resume',
      });
    }
    ctx.evidence(`service ${p.name} (GUID ${guid}) was created by run ${earlier.runId}, which was abandoned: ${earlier.reason}`);
    // A space's recovery adopts several instances from one answers file: GUIDs separated by commas.
    const adopt = await ctx.choices.choose({
      key: 'adoptInstance',
      message: `Instance ${guid} was created by the abandoned run ${earlier.runId}. Adopt it as the new instance?`,
      options: [
        { value: guid, name: `adopt ${guid}: recover into it` },
        { value: 'no', name: 'no: stop here (rename or delete it first)' },
      ],
      read: (given) => (given.split(',').some((a) => confirmationMatches(a, guid)) ? guid : 'no'),
    });
    if (adopt.value !== guid) {
      throw new StepFailed(
        `"${p.name}" is taken by instance ${guid} (created by the abandoned run ${earlier.runId}), which was not adopted`,
        {
          hint: `adopt it (choose.adoptInstance: ${guid} in the answers file, several GUIDs separated by commas), or rename/delete it, then resume`,
        },
      );
    }
    return { free: false, adoptGuid: guid };
  },
});

const createService = defineAction({
  name: 'cf.create-service',
  summary: 'Recreate the service instance',
  effect: 'write',
  params: {
    offering: defaulted('string', '', 'service offering, checked in cf marketplace ("" for the Dingo PostgreSQL offering it lists)'),
    plan: required('string', 'plan'),
    name: required('string', 'service instance name'),
    spaceGuid: optional('string', 'the space (by GUID) it belongs in; the probe looks there, whatever cf targets'),
    adopt: defaulted('string', '', 'GUID of an instance to adopt instead of creating one ("" to create)'),
    nodes: defaulted(
      'number',
      0,
      'nodes to ask the broker for (the node-count parameter, a number: Dingo brokers from v0.9 make 2 without it, whatever the plan); 0 gives none',
    ),
  },
  outputs: { instanceGuid: output('string', 'GUID of the new service instance') },
  async run(ctx, p) {
    const name = p.name;
    const spaceGuid = p.spaceGuid;
    if (p.adopt) {
      const guid = await guidInSpace(ctx, name, spaceGuid);
      if (guid !== p.adopt) {
        throw new StepFailed(`the instance to adopt (${p.adopt}) is no longer ${name} in the space (found ${guid ?? 'none'})`, {
          hint: 'check `cf services`, then resume',
        });
      }
      ctx.evidence(`adopted instance ${name} with GUID ${guid}; nothing was created`);
      return { instanceGuid: guid };
    }
    const offering = await offeringFor(ctx, p.offering, p.plan);
    if (!Number.isInteger(p.nodes) || p.nodes < 0 || p.nodes > 99)
      throw new UsageError(`nodes must be a whole number from 0 to 99, not ${p.nodes}`, { hint: 'correct the step in the runbook' });
    const params = p.nodes ? nodeCountParams(p.nodes) : undefined;
    await cfCli(ctx).createService(offering, p.plan, name, params);
    if (params)
      ctx.evidence(
        `cf create-service ${offering} ${p.plan} ${name} -c '${JSON.stringify(params)}': ${p.nodes} node(s) asked of the broker`,
      );
    const guid = await guidInSpace(ctx, name, spaceGuid);
    if (!guid)
      throw new StepFailed(`cf create-service succeeded but no service named ${name} is found in the space`, {
        hint: 'check `cf services` in the space, then resume',
      });
    ctx.evidence(`new service instance ${name} has GUID ${guid}`);
    return { instanceGuid: guid };
  },
  async probe(ctx, p) {
    const where = p.spaceGuid ? `space ${p.spaceGuid}` : 'the targeted space';
    const guid = await guidInSpace(ctx, p.name, p.spaceGuid);
    return guid
      ? {
          done: true,
          outputs: { instanceGuid: guid },
          why: `service ${p.name} exists in ${where} with GUID ${guid}, and the name was free before this step`,
        }
      : { done: false, why: `no service named ${p.name} in ${where} yet` };
  },
});

const waitService = defineAction({
  name: 'cf.wait-service',
  summary: 'Wait until the broker has created the instance',
  effect: 'read',
  params: { name: required('string', 'service instance name'), guid: required('string', 'service instance GUID') },
  outputs: { state: output('string', 'last operation, e.g. "create succeeded"') },
  async run(ctx, p) {
    const status = await cfCli(ctx).waitForService(p.name, p.guid, {
      intervalMs: ctx.settings.createPollMs,
      deadlineMs: ctx.settings.createDeadlineMs,
      sleep: (ms: number) => ctx.sleep(ms),
      abandon: commandLine(['abandon', ctx.runId]),
      onPoll: (s: { type: string; state: string }) => {
        ctx.progress(`${s.type} ${s.state}`);
      },
    });
    ctx.evidence(`last operation: ${status.type} ${status.state} (read through ${status.source})`);
    return { state: `${status.type} ${status.state}` };
  },
});

const bindApps = defineAction({
  name: 'cf.bind-apps',
  summary: 'Bind the recovered service to the apps',
  effect: 'write',
  params: { name: required('string', 'service instance name'), apps: required('string[]', 'apps to bind') },
  outputs: { bound: output('string[]', 'apps bound') },
  result: (o) => (o.bound.length ? `bound ${o.bound.join(', ')}` : 'nothing to rebind: the user named no apps'),
  async run(ctx, p) {
    const cf = cfCli(ctx);
    for (const app of p.apps) await cf.bindService(app, p.name);
    return { bound: p.apps };
  },
  safeToRepeat: 'binding an app that is already bound is harmless: every cf era reports an existing binding as success',
});

/**
 * `cf restart` starts an app whatever its state (cloudfoundry/cli cf/commands/application/restart.go:
 * stop, then start), so only the apps the user had started are restarted: one they had stopped (a
 * cron, a maintenance app) stays stopped, bound, and is listed for the user to start.
 */
const restartApps = defineAction({
  name: 'cf.restart-apps',
  summary: 'Restart the started apps so they read the new credentials (a stopped app is left stopped)',
  effect: 'write',
  params: { apps: required('string[]', 'apps to restart') },
  outputs: {
    restarted: output('string[]', 'apps restarted'),
    leftStopped: output('string[]', 'apps left stopped, as the user had them (bound: they read it when started)'),
  },
  result: (o) =>
    [
      o.restarted.length ? `restarted ${o.restarted.join(', ')}` : 'nothing to restart',
      ...(o.leftStopped.length ? [`left stopped: ${o.leftStopped.join(', ')}`] : []),
    ].join('; '),
  async run(ctx, p) {
    const cf = cfCli(ctx);
    const states = p.apps.length ? await cf.appStates() : [];
    const stateOf = (app: string): string => states.find((a) => a.name === app)?.state.toLowerCase() ?? 'not found';
    const leftStopped = p.apps.filter((app) => stateOf(app) === 'stopped');
    if (leftStopped.length)
      ctx.evidence(`left stopped, as the user had them (cf apps: requested state stopped): ${leftStopped.join(', ')}`);
    const restarted = p.apps.filter((app) => !leftStopped.includes(app));
    for (const app of restarted) await cf.restart(app);
    return { restarted, leftStopped };
  },
  safeToRepeat: 'restarting an app again only costs a short outage of that app',
});

export const cfActions: ActionDef[] = [target, checkApps, createSpace, checkNameFree, createService, waitService, bindApps, restartApps];
