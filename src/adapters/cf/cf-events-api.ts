/**
 * Reading the Cloud Controller through `cf curl`: orgs, spaces, plans and audit events, on the v3
 * API where the CC has it, else v2. Old CCs are first-class: without `-f` (before cf 6.43) an HTTP
 * error still exits 0 and prints its JSON error body, which counts as "this endpoint is not here".
 */
import { StepFailed } from '../../core/errors.js';
import { Redactor } from '../../core/redact.js';
import type { CommandResult, CommandRunner } from '../../core/seams.js';
import { eventsPage, eventsPath, listPage, type AuditEvent, type EventsApi } from './cf-events.js';
import { parseCurlBody } from './cf-curl.js';
import { cfEnv } from './cf-env.js';
import { failureText } from './cf-parse.js';
import { recordAt, stringAt, type JsonRecord } from '../../core/json.js';

type Answer = { kind: 'json'; body: JsonRecord } | { kind: 'unavailable'; why: string } | { kind: 'failed'; why: string };

/** Pages followed at most, so a CC that links a page to itself cannot loop forever. */
const MAX_PAGES = 1000;

export interface CfApiOptions {
  binary?: string;
  env?: Record<string, string>;
  /** The CLI has `cf curl -f` (6.43+): HTTP errors exit 22. */
  curlFail: boolean;
  /** The run's redactor, for the failures. */
  redactor: Redactor;
}

export class CfApi {
  private readonly binary: string;
  private readonly env: Record<string, string>;
  private v3?: Promise<boolean>;
  /** The API that answered after the other one answered 404: asked first from then on. */
  private answering?: EventsApi;

  constructor(
    private readonly runner: CommandRunner,
    private readonly opts: CfApiOptions,
  ) {
    this.binary = opts.binary ?? 'cf';
    this.env = { ...cfEnv(), ...opts.env };
  }

  private async curl(path: string): Promise<Answer> {
    const argv = [this.binary, 'curl', ...(this.opts.curlFail ? ['-f'] : []), path];
    const r: CommandResult = await this.runner.run({ argv, env: this.env, writes: false });
    if (r.exitCode === 22) {
      const why = failureText(r);
      return /\b404\b/.test(why) ? { kind: 'unavailable', why } : { kind: 'failed', why: why || 'HTTP error' };
    }
    if (r.exitCode !== 0) return { kind: 'failed', why: `exit ${r.exitCode}: ${failureText(r) || '(no output)'}` };
    const parsed = parseCurlBody(r.stdout);
    if (parsed.kind === 'json') return parsed;
    if (parsed.kind === 'error') {
      const why = `${parsed.code}: ${parsed.message}`;
      return parsed.notFound ? { kind: 'unavailable', why } : { kind: 'failed', why };
    }
    return { kind: 'failed', why: 'the answer is not JSON' };
  }

  /** Whether the CC serves the v3 API: `GET /v3` answers with its links (a pre-v3 CC answers 404). */
  hasV3(): Promise<boolean> {
    this.v3 ??= this.curl('/v3').then((a) => a.kind === 'json' && recordAt(a.body, 'links') !== undefined);
    return this.v3;
  }

  /**
   * The APIs to ask, in order: the one that answered when the other did not, else v3 first when
   * `GET /v3` answers, else v2 first (a CC may lack the v3 root, or have turned v2 off).
   */
  private async order(): Promise<EventsApi[]> {
    const first = this.answering ?? ((await this.hasV3()) ? 'v3' : 'v2');
    return first === 'v3' ? ['v3', 'v2'] : ['v2', 'v3'];
  }

  /** Every resource of a list, page after page, from the first API that answers. */
  async list(paths: Record<EventsApi, string>, what: string): Promise<{ api: EventsApi; resources: unknown[] }> {
    const order = await this.order();
    const reasons: string[] = [];
    for (const api of order) {
      const got = await this.pages(paths[api], api);
      if (got.kind === 'list') {
        if (api !== order[0] && reasons.length) this.answering = api;
        return { api, resources: got.resources };
      }
      reasons.push(`${paths[api]}: ${got.why}`);
    }
    throw new StepFailed(
      this.opts.redactor.redact(`reading ${what} through \`cf curl\` on ${this.runner.where} failed: ${reasons.join('; ')}`),
      {
        hint: 'check that cf is logged in as an admin (cf login -a API) and can read audit events (cf curl /v2/events works), then resume',
      },
    );
  }

  private async pages(
    first: string,
    api: EventsApi,
  ): Promise<{ kind: 'list'; resources: unknown[] } | { kind: 'unavailable' | 'failed'; why: string }> {
    const resources: unknown[] = [];
    const seen = new Set<string>();
    for (let path: string | null = first; path !== null && !seen.has(path) && seen.size < MAX_PAGES;) {
      seen.add(path);
      const a = await this.curl(path);
      if (a.kind !== 'json') return a;
      const page = listPage(a.body, api);
      if (!page) return { kind: 'failed', why: 'the answer has no resources list' };
      resources.push(...page.resources);
      path = page.next;
    }
    return { kind: 'list', resources };
  }

  /** Audit events of these types in a space or an org, oldest first. */
  async events(types: string[], where: { spaceGuid?: string; orgGuid?: string }): Promise<{ api: EventsApi; events: AuditEvent[] }> {
    const events: AuditEvent[] = [];
    let api: EventsApi = 'v2';
    for (const type of types) {
      const got = await this.list({ v3: eventsPath('v3', type, where), v2: eventsPath('v2', type, where) }, `${type} events`);
      api = got.api;
      const page = eventsPage({ resources: got.resources }, got.api);
      events.push(...(page?.events ?? []));
    }
    events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return { api, events };
  }

  /** The GUID of the org named NAME; StepFailed naming the org when there is none. */
  async orgGuid(name: string): Promise<string> {
    const q = encodeURIComponent(name);
    const { api, resources } = await this.list({ v3: `/v3/organizations?names=${q}`, v2: `/v2/organizations?q=name:${q}` }, `org ${name}`);
    const guid = resources.map((r) => guidOf(r, api)).find(Boolean);
    if (!guid)
      throw new StepFailed(`no organization named "${name}" on this Cloud Foundry`, {
        hint: 'check the org name with the user; `cf orgs` lists the orgs you can see',
      });
    return guid;
  }

  /** The GUID of the space named NAME in the org, or null when the org has none. */
  async spaceGuid(orgGuid: string, name: string): Promise<string | null> {
    const q = encodeURIComponent(name);
    const { api, resources } = await this.list(
      { v3: `/v3/spaces?names=${q}&organization_guids=${orgGuid}`, v2: `/v2/organizations/${orgGuid}/spaces?q=name:${q}` },
      `space ${name}`,
    );
    return resources.map((r) => guidOf(r, api)).find(Boolean) ?? null;
  }

  /**
   * The space with this GUID, as the CC has it now: its name and org, `absent` when no API knows it
   * (a deleted space), `unknown` when the CC could not be asked.
   */
  async space(
    guid: string,
  ): Promise<{ kind: 'live'; name: string; orgGuid: string } | { kind: 'absent' } | { kind: 'unknown'; why: string }> {
    let why = '';
    for (const api of await this.order()) {
      const a = await this.curl(api === 'v3' ? `/v3/spaces/${guid}` : `/v2/spaces/${guid}`);
      if (a.kind === 'failed') why = a.why;
      if (a.kind !== 'json') continue;
      const entity = api === 'v3' ? a.body : recordAt(a.body, 'entity');
      const orgGuid =
        api === 'v3'
          ? stringAt(recordAt(recordAt(recordAt(a.body, 'relationships'), 'organization'), 'data'), 'guid')
          : stringAt(entity, 'organization_guid');
      return { kind: 'live', name: stringAt(entity, 'name') ?? '', orgGuid: orgGuid ?? '' };
    }
    return why ? { kind: 'unknown', why } : { kind: 'absent' };
  }

  /** The plan's name and its offering's name (label), or null when the CC no longer knows the plan. */
  async planOffering(planGuid: string): Promise<{ plan: string; offering: string } | null> {
    for (const api of await this.order()) {
      const found = api === 'v3' ? await this.planV3(planGuid) : await this.planV2(planGuid);
      if (found) return found;
    }
    return null;
  }

  private async planV3(planGuid: string): Promise<{ plan: string; offering: string } | null> {
    const plan = await this.curl(`/v3/service_plans/${planGuid}`);
    if (plan.kind !== 'json') return null;
    const offeringGuid = stringAt(recordAt(recordAt(recordAt(plan.body, 'relationships'), 'service_offering'), 'data'), 'guid');
    const offering = offeringGuid ? await this.curl(`/v3/service_offerings/${offeringGuid}`) : null;
    return { plan: stringAt(plan.body, 'name') ?? '', offering: (offering?.kind === 'json' && stringAt(offering.body, 'name')) || '' };
  }

  private async planV2(planGuid: string): Promise<{ plan: string; offering: string } | null> {
    const plan = await this.curl(`/v2/service_plans/${planGuid}`);
    if (plan.kind !== 'json') return null;
    const entity = recordAt(plan.body, 'entity');
    const serviceGuid = stringAt(entity, 'service_guid');
    const service = serviceGuid ? await this.curl(`/v2/services/${serviceGuid}`) : null;
    const label = service?.kind === 'json' ? stringAt(recordAt(service.body, 'entity'), 'label') : undefined;
    return { plan: stringAt(entity, 'name') ?? '', offering: label ?? '' };
  }
}

function guidOf(r: unknown, api: EventsApi): string {
  return (api === 'v3' ? stringAt(r, 'guid') : stringAt(recordAt(r, 'metadata'), 'guid')) ?? '';
}
