/**
 * A simulated `cf` CLI with its Cloud Controller behind it. It interprets the argv the adapter
 * builds and answers in the output era of `state.version`, changing `state` as the platform
 * would: create-service starts an asynchronous create that completes after a number of status
 * reads, bind-service records a binding, restart restarts. The state is plain JSON so the
 * rehearsal can save it between commands and processes.
 */
import { randomUUID } from 'node:crypto';
import type { CommandResult, CommandSpec } from '../core/seams.js';
import {
  ccBodies,
  renderAppLifecycle,
  renderAppNotFound,
  renderApps,
  renderBindService,
  renderCreateService,
  renderCurl,
  renderFailure,
  renderGuid,
  renderNoTarget,
  renderNotLoggedIn,
  renderOfferingNotFound,
  renderOrgNotFound,
  renderPlanNotFound,
  renderService,
  renderServiceNotFound,
  renderSpaceNotFound,
  renderTarget,
  renderUnbindService,
  renderUnknownCommand,
  renderVersion,
  v2List,
  v2ServiceInstance,
  v3List,
  v3ServiceInstance,
  type InstanceView,
} from '../adapters/cf-formats.js';
import type { CfWho, LastOperation, Rendered } from '../adapters/cf-types.js';
import { simulateUpdateService } from './cf-sim-update.js';

export interface CfApp {
  name: string;
  guid: string;
  state: 'started' | 'stopped';
  /** Running instances (default 1). */
  instances?: number;
  boundServiceGuids: string[];
  /** How often the app was restarted or restaged, for tests and reports. */
  restarts?: number;
  restages?: number;
}

export interface CfSpace {
  name: string;
  guid: string;
  apps: CfApp[];
}

export interface CfOrg {
  name: string;
  guid: string;
  spaces: CfSpace[];
}

export interface CfOffering {
  label: string;
  guid: string;
  broker?: string;
  description?: string;
  plans: { name: string; guid: string }[];
}

export interface CfServiceInstance {
  guid: string;
  name: string;
  spaceGuid: string;
  offering: string;
  plan: string;
  createdAt: string;
  lastOperation: LastOperation;
  /** Status reads left before the current operation finishes (0: the next read shows it finished). */
  pollsUntilReady: number;
  /** When set, the current operation ends `failed` with this description. */
  failWith?: string;
  parameters?: Record<string, unknown>;
}

export interface CfWorld {
  /** cf CLI version, e.g. "6.21.1+6fd3c9f-2016-08-10", "6.53.0+8e2b70a4a.2020-10-01", "8.9.1+6c6aa0f.2024-11-05". */
  version: string;
  /** Cloud Controller. `v3`/`v2` say whether it serves those service-instance endpoints (default both). */
  api: { url: string; version: string; v2?: boolean; v3?: boolean };
  user: string;
  /** Default true; false makes every command but `version` fail with "Not logged in". */
  loggedIn?: boolean;
  target: { org: string | null; space: string | null };
  orgs: CfOrg[];
  offerings: CfOffering[];
  instances: CfServiceInstance[];
  /** GUIDs handed to created instances, in order (random ones once it is empty). */
  nextInstanceGuids: string[];
  /** Status reads a create stays "in progress" for (default 2). */
  pollsPerCreate?: number;
  /** The next create ends in "create failed" with this description. */
  failNextCreate?: string;
  /** The broker refuses the next update with this description. */
  failNextUpdate?: string;
}

export interface CfHooks {
  onServiceCreated?(instance: CfServiceInstance): void;
  onAppRestarted?(app: CfApp): void;
  /** The broker received an update with these parameters; a text ends the update failed with it. */
  onServiceUpdated?(instance: CfServiceInstance, parameters: Record<string, unknown>): string | undefined;
  now?(): Date;
}

const VALUE_FLAGS = new Set(['-o', '-s', '-c', '-p', '-X', '-H', '-d', '-t', '-b', '--output']);

function parseArgs(args: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a.length > 1) {
      if (VALUE_FLAGS.has(a)) flags.set(a, args[++i] ?? '');
      else flags.set(a, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

class Sim {
  constructor(
    private readonly w: CfWorld,
    private readonly hooks: CfHooks,
  ) {}

  private now(): string {
    return stamp(this.hooks.now?.() ?? new Date());
  }

  private get v(): string {
    return this.w.version;
  }

  private org() {
    return this.w.orgs.find((o) => o.name === this.w.target.org) ?? null;
  }

  private space() {
    return this.org()?.spaces.find((s) => s.name === this.w.target.space) ?? null;
  }

  private who(): CfWho {
    return { org: this.w.target.org ?? '', space: this.w.target.space ?? '', user: this.w.user };
  }

  private instanceByName(name: string) {
    const space = this.space();
    return space ? (this.w.instances.find((i) => i.spaceGuid === space.guid && i.name === name) ?? null) : null;
  }

  /** A status read: the broker's operation advances one poll. */
  private read(i: CfServiceInstance): CfServiceInstance {
    if (i.lastOperation.state !== 'in progress') return i;
    if (i.pollsUntilReady > 0) i.pollsUntilReady--;
    else {
      const failed = i.failWith !== undefined;
      i.lastOperation = {
        ...i.lastOperation,
        state: failed ? 'failed' : 'succeeded',
        description: failed ? i.failWith! : '',
        updatedAt: this.now(),
      };
      delete i.failWith;
    }
    return i;
  }

  private view(i: CfServiceInstance): InstanceView {
    const offering = this.w.offerings.find((o) => o.label === i.offering);
    const plan = offering?.plans.find((p) => p.name === i.plan);
    return {
      guid: i.guid,
      name: i.name,
      spaceGuid: i.spaceGuid,
      planGuid: plan?.guid ?? '',
      offeringGuid: offering?.guid ?? '',
      createdAt: i.createdAt,
      lastOperation: i.lastOperation,
    };
  }

  run(args: string[]): Rendered {
    const [command = 'help', ...rest] = args;
    if (command === 'version' || command === '-v' || command === '--version') return renderVersion(this.v);
    if (this.w.loggedIn === false) return renderNotLoggedIn(this.v);
    const { positional, flags } = parseArgs(rest);
    switch (command) {
      case 'target':
      case 't':
        return this.target(flags);
      case 'space':
        return this.spaceCmd(positional[0] ?? '', flags.has('--guid'));
      case 'apps':
      case 'a':
      case 'applications':
        return this.apps();
      case 'service':
        return this.service(positional[0] ?? '', flags.has('--guid'));
      case 'create-service':
      case 'cs':
        return this.createService(positional, flags);
      case 'update-service':
        return this.updateService(positional[0] ?? '', flags);
      case 'bind-service':
      case 'bs':
        return this.bind(positional[0] ?? '', positional[1] ?? '');
      case 'unbind-service':
      case 'us':
        return this.unbind(positional[0] ?? '', positional[1] ?? '');
      case 'restart':
      case 'rs':
        return this.lifecycle(positional[0] ?? '', 'restart');
      case 'restage':
      case 'rg':
        return this.lifecycle(positional[0] ?? '', 'restage');
      case 'curl':
        return this.curl(positional[0] ?? '/', flags);
      default:
        return renderUnknownCommand(this.v, command);
    }
  }

  private target(flags: Map<string, string | true>): Rendered {
    const orgName = flags.get('-o');
    const spaceName = flags.get('-s');
    if (typeof orgName === 'string') {
      const org = this.w.orgs.find((o) => o.name === orgName);
      if (!org) return renderOrgNotFound(this.v, orgName);
      this.w.target = { org: org.name, space: null };
    }
    if (typeof spaceName === 'string') {
      const org = this.org();
      if (!org) return renderFailure(this.v, "No org targeted, use 'cf target -o ORG' to target an org.");
      const space = org.spaces.find((s) => s.name === spaceName);
      if (!space) return renderSpaceNotFound(this.v, spaceName);
      this.w.target.space = space.name;
    }
    return renderTarget(this.v, { apiUrl: this.w.api.url, apiVersion: this.w.api.version, ...this.who() });
  }

  private spaceCmd(name: string, guidOnly: boolean): Rendered {
    const org = this.org();
    if (!org) return renderFailure(this.v, "No org targeted, use 'cf target -o ORG' to target an org.");
    const space = org.spaces.find((s) => s.name === name);
    if (!space) return renderSpaceNotFound(this.v, name);
    if (guidOnly) return renderGuid(space.guid);
    return {
      stdout: `name:   ${space.name}\norg:    ${org.name}\napps:   ${space.apps.map((a) => a.name).join(', ')}\n`,
      stderr: '',
      exitCode: 0,
    };
  }

  private apps(): Rendered {
    const space = this.space();
    if (!space) return renderNoTarget(this.v);
    const rows = space.apps.map((a) => ({
      name: a.name,
      state: a.state,
      instances: a.state === 'started' ? `${a.instances ?? 1}/${a.instances ?? 1}` : `0/${a.instances ?? 1}`,
      memory: '1G',
      disk: '1G',
      urls: [`${a.name.replace(/\s+/g, '-')}.${new URL(this.w.api.url).hostname.replace(/^api\./, '')}`],
    }));
    return renderApps(this.v, this.who(), rows);
  }

  private service(name: string, guidOnly: boolean): Rendered {
    const space = this.space();
    if (!space) return renderNoTarget(this.v);
    const i = this.instanceByName(name);
    if (!i) return renderServiceNotFound(this.v, name);
    if (guidOnly) return renderGuid(i.guid);
    this.read(i);
    const offering = this.w.offerings.find((o) => o.label === i.offering);
    const boundApps = space.apps.filter((a) => a.boundServiceGuids.includes(i.guid)).map((a) => a.name);
    return renderService(this.v, this.who(), {
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

  private createService(positional: string[], flags: Map<string, string | true>): Rendered {
    const space = this.space();
    if (!space) return renderNoTarget(this.v);
    const [offeringName = '', planName = '', name = ''] = positional;
    const who = this.who();
    if (this.instanceByName(name)) return renderCreateService(this.v, who, name, 'exists');
    const offering = this.w.offerings.find((o) => o.label === offeringName);
    if (!offering) return renderOfferingNotFound(this.v, who, name, offeringName);
    if (!offering.plans.some((p) => p.name === planName)) return renderPlanNotFound(this.v, who, name, offeringName, planName);
    let parameters: Record<string, unknown> | undefined;
    const raw = flags.get('-c');
    if (typeof raw === 'string') {
      try {
        parameters = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return renderFailure(
          this.v,
          'Invalid configuration provided for -c flag. Please provide a valid JSON object or path to a file containing a valid JSON object.',
        );
      }
    }
    const now = this.now();
    const instance: CfServiceInstance = {
      guid: this.w.nextInstanceGuids.shift() ?? randomUUID(),
      name,
      spaceGuid: space.guid,
      offering: offering.label,
      plan: planName,
      createdAt: now,
      lastOperation: { type: 'create', state: 'in progress', description: '', createdAt: now, updatedAt: now },
      pollsUntilReady: this.w.pollsPerCreate ?? 2,
      ...(this.w.failNextCreate !== undefined ? { failWith: this.w.failNextCreate } : {}),
      ...(parameters ? { parameters } : {}),
    };
    delete this.w.failNextCreate;
    this.w.instances.push(instance);
    this.hooks.onServiceCreated?.(instance);
    if (flags.has('-w') || flags.has('--wait')) {
      while (instance.lastOperation.state === 'in progress') this.read(instance);
      return instance.lastOperation.state === 'failed'
        ? renderCreateService(this.v, who, name, 'failed', instance.lastOperation.description)
        : renderCreateService(this.v, who, name, 'created');
    }
    return renderCreateService(this.v, who, name, 'in progress');
  }

  private updateService(name: string, flags: Map<string, string | true>): Rendered {
    if (!this.space()) return renderNoTarget(this.v);
    const config = flags.get('-c');
    const plan = flags.get('-p');
    return simulateUpdateService(
      this.w,
      this.who(),
      {
        name,
        instance: this.instanceByName(name),
        ...(typeof config === 'string' ? { config } : {}),
        ...(typeof plan === 'string' ? { plan } : {}),
        now: this.now(),
      },
      this.hooks.onServiceUpdated?.bind(this.hooks),
    );
  }

  private appOr(name: string): CfApp | Rendered {
    const space = this.space();
    if (!space) return renderNoTarget(this.v);
    return space.apps.find((a) => a.name === name) ?? renderAppNotFound(this.v, name);
  }

  private bind(appName: string, name: string): Rendered {
    const app = this.appOr(appName);
    if (!('guid' in app)) return app;
    const i = this.instanceByName(name);
    if (!i) return renderServiceNotFound(this.v, name);
    const already = app.boundServiceGuids.includes(i.guid);
    if (!already && i.lastOperation.state === 'in progress') {
      return renderFailure(this.v, `An operation for service instance ${name} is in progress.`);
    }
    if (!already) app.boundServiceGuids.push(i.guid);
    return renderBindService(this.v, this.who(), appName, name, already);
  }

  private unbind(appName: string, name: string): Rendered {
    const app = this.appOr(appName);
    if (!('guid' in app)) return app;
    const i = this.instanceByName(name);
    if (!i) return renderServiceNotFound(this.v, name);
    const was = app.boundServiceGuids.includes(i.guid);
    app.boundServiceGuids = app.boundServiceGuids.filter((g) => g !== i.guid);
    return renderUnbindService(this.v, this.who(), appName, name, was);
  }

  private lifecycle(appName: string, verb: 'restart' | 'restage'): Rendered {
    const app = this.appOr(appName);
    if (!('guid' in app)) return app;
    app.state = 'started';
    if (verb === 'restart') app.restarts = (app.restarts ?? 0) + 1;
    else app.restages = (app.restages ?? 0) + 1;
    this.hooks.onAppRestarted?.(app);
    return renderAppLifecycle(this.v, this.who(), appName, verb);
  }

  private curl(target: string, flags: Map<string, string | true>): Rendered {
    const fail = flags.has('-f') || flags.has('--fail');
    const method = typeof flags.get('-X') === 'string' ? String(flags.get('-X')).toUpperCase() : flags.has('-d') ? 'POST' : 'GET';
    const { status, body } = this.route(method, target);
    return renderCurl(this.v, status, body, fail);
  }

  private route(method: string, target: string): { status: number; body: unknown } {
    const url = new URL(target, 'http://cc.invalid');
    const path = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    const v3 = this.w.api.v3 !== false;
    const v2 = this.w.api.v2 !== false;
    const api = this.w.api.url;
    const unknown = () => ({ status: 404, body: v3 ? ccBodies.v3UnknownRequest() : ccBodies.v2UnknownRequest() });
    if (method !== 'GET')
      return { status: 405, body: { errors: [{ detail: 'Method not allowed in this simulation', title: 'CF-NotAllowed', code: 10000 }] } };
    if (path.startsWith('/v3/') && !v3) return { status: 404, body: ccBodies.v2UnknownRequest() };
    if (path.startsWith('/v2/') && !v2) return { status: 404, body: ccBodies.v3UnknownRequest() };
    let m: RegExpExecArray | null;
    if (path === '/v2/info') return { status: 200, body: { name: '', build: '', api_version: this.w.api.version } };
    if ((m = /^\/v3\/service_instances\/([^/]+)$/.exec(path))) {
      const i = this.w.instances.find((x) => x.guid === m![1]);
      if (!i) return { status: 404, body: ccBodies.v3NotFound('Service instance') };
      return { status: 200, body: v3ServiceInstance(this.view(this.read(i)), api) };
    }
    if (path === '/v3/service_instances') {
      const names = q.get('names')?.split(',');
      const spaces = q.get('space_guids')?.split(',');
      const found = this.w.instances.filter((i) => (!names || names.includes(i.name)) && (!spaces || spaces.includes(i.spaceGuid)));
      return {
        status: 200,
        body: v3List(
          found.map((i) => v3ServiceInstance(this.view(this.read(i)), api)),
          api,
          target,
        ),
      };
    }
    if ((m = /^\/v2\/service_instances\/([^/]+)$/.exec(path))) {
      const i = this.w.instances.find((x) => x.guid === m![1]);
      if (!i) return { status: 404, body: ccBodies.v2InstanceNotFound(m[1]!) };
      return { status: 200, body: v2ServiceInstance(this.view(this.read(i))) };
    }
    if ((m = /^\/v2\/spaces\/([^/]+)\/service_instances$/.exec(path))) {
      const name = /^name:(.*)$/.exec(q.get('q') ?? '')?.[1];
      const found = this.w.instances.filter((i) => i.spaceGuid === m![1] && (name === undefined || i.name === name));
      return { status: 200, body: v2List(found.map((i) => v2ServiceInstance(this.view(this.read(i))))) };
    }
    if (path === '/v3/service_credential_bindings') {
      const guids = q.get('service_instance_guids')?.split(',');
      const bindings = this.bindings().filter((b) => !guids || guids.includes(b.instance));
      return {
        status: 200,
        body: v3List(
          bindings.map((b) => ({
            guid: b.guid,
            type: 'app',
            name: null,
            last_operation: null,
            relationships: { app: { data: { guid: b.app } }, service_instance: { data: { guid: b.instance } } },
          })),
          api,
          target,
        ),
      };
    }
    if ((m = /^\/v2\/service_instances\/([^/]+)\/service_bindings$/.exec(path))) {
      const bindings = this.bindings().filter((b) => b.instance === m![1]);
      return {
        status: 200,
        body: v2List(bindings.map((b) => ({ metadata: { guid: b.guid }, entity: { app_guid: b.app, service_instance_guid: b.instance } }))),
      };
    }
    return unknown();
  }

  private bindings(): { guid: string; app: string; instance: string }[] {
    return this.w.orgs.flatMap((o) =>
      o.spaces.flatMap((s) =>
        s.apps.flatMap((a) => a.boundServiceGuids.map((g) => ({ guid: `${a.guid.slice(0, 8)}-${g.slice(9)}`, app: a.guid, instance: g }))),
      ),
    );
  }
}

/** Runs one `cf` command against the simulated platform; `state` changes in place. */
export function simulateCf(state: CfWorld, spec: CommandSpec, hooks: CfHooks = {}): CommandResult {
  const r = new Sim(state, hooks).run(spec.argv.slice(1));
  return { ...r, durationMs: 0 };
}
