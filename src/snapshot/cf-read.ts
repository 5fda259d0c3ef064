/**
 * What a recovery reads of Cloud Foundry, read once and kept as the rehearsal's cf world: the CLI's
 * version and target, the answers' org and space with their apps, instances and bindings, the
 * catalog, and the audit events of the space and org. Only `cf version`, `cf target` and `cf curl`
 * GETs run: nothing here changes the platform.
 */
import type { Redactor } from '../core/redact.js';
import type { CommandRunner } from '../core/seams.js';
import { isRecord, recordAt, stringAt, numberAt, type JsonRecord } from '../core/json.js';
import { CfApi, CfCli, cfCurlHasFail, type AuditEvent, type EventsApi } from '../adapters/cf/index.js';
import { HOLDING_EVENT_TYPES, spaceDeletions } from '../logs/space-holdings.js';
import type { CfApp, CfAuditEvent, CfOffering, CfServiceInstance, CfWorld } from '../rehearsal/cf/index.js';

const SPACE_DELETE = 'audit.space.delete-request';

export interface CfAnswers {
  org: string;
  space: string;
  /** A deleted space's GUID given in the answers (inputs.spaceGuid), when its deletion event is gone. */
  spaceGuid?: string;
}

type Entity = { guid: string; entity: JsonRecord };

/** A list resource's GUID and fields, v3 (flat) or v2 (metadata + entity). */
function entityOf(r: unknown, api: EventsApi): Entity {
  if (api === 'v3') return { guid: stringAt(r, 'guid') ?? '', entity: isRecord(r) ? r : {} };
  return { guid: stringAt(recordAt(r, 'metadata'), 'guid') ?? '', entity: recordAt(r, 'entity') ?? {} };
}

/** The GUID a v3 resource's relationship names. */
const related = (r: JsonRecord, name: string): string | undefined =>
  stringAt(recordAt(recordAt(recordAt(r, 'relationships'), name), 'data'), 'guid');

export class CfReader {
  private readonly cli: CfCli;
  private api?: CfApi;
  /** What could not be read, said in the snapshot's summary instead of failing it. */
  readonly gaps: string[] = [];
  /** The answers' space when it no longer exists: the GUID its latest deletion (or the answers) names. */
  deletedSpaceGuid: string | null = null;

  constructor(
    private readonly runner: CommandRunner,
    private readonly binary: string | undefined,
    private readonly redactor: Redactor,
  ) {
    this.cli = new CfCli(runner, { binary, redactor });
  }

  private async cc(): Promise<CfApi> {
    this.api ??= new CfApi(this.runner, {
      binary: this.binary,
      curlFail: cfCurlHasFail((await this.cli.version()).version),
      redactor: this.redactor,
    });
    return this.api;
  }

  /** A list through `cf curl`, or [] with the reason kept in `gaps`. */
  private async list(paths: Record<EventsApi, string>, what: string): Promise<Entity[]> {
    try {
      const { api, resources } = await (await this.cc()).list(paths, what);
      return resources.map((r) => entityOf(r, api));
    } catch (err) {
      this.gaps.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  async read(answers: CfAnswers): Promise<CfWorld> {
    const { version } = await this.cli.version();
    const target = await this.cli.currentTarget();
    const cc = await this.cc();
    const v3 = await cc.hasV3();
    const orgGuid = await cc.orgGuid(answers.org);
    const spaceGuid = await cc.spaceGuid(orgGuid, answers.space);
    const instances = spaceGuid ? await this.instances(spaceGuid) : [];
    const apps = spaceGuid ? await this.apps(spaceGuid, instances) : [];
    const spaceDeletes = await this.auditEvents([SPACE_DELETE], { orgGuid });
    if (!spaceGuid) this.deletedSpaceGuid = answers.spaceGuid ?? spaceDeletions(spaceDeletes, answers.space)[0]?.spaceGuid ?? null;
    const eventsOf = spaceGuid ?? this.deletedSpaceGuid;
    const events = [...spaceDeletes, ...(eventsOf ? await this.auditEvents(HOLDING_EVENT_TYPES, { spaceGuid: eventsOf }) : [])];
    return {
      version,
      api: { url: target.api ?? 'https://api.example.invalid', ...(await this.v2Info()), v3 },
      user: target.user ?? 'admin',
      loggedIn: true,
      target: { org: null, space: null },
      orgs: [
        {
          name: answers.org,
          guid: orgGuid,
          spaces: spaceGuid ? [{ name: answers.space, guid: spaceGuid, apps }] : [],
        },
      ],
      offerings: await this.offerings(),
      instances,
      nextInstanceGuids: [],
      events: events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).map(toWorldEvent),
    };
  }

  /** The v2 API's version (`/v2/info`), and whether the Cloud Controller serves v2 at all. */
  private async v2Info(): Promise<{ version: string; v2: boolean }> {
    const r = await this.runner.run({ argv: [this.binary ?? 'cf', 'curl', '/v2/info'], writes: false });
    let version: string | undefined;
    try {
      version = r.exitCode === 0 ? stringAt(JSON.parse(r.stdout), 'api_version') : undefined;
    } catch {
      version = undefined;
    }
    return version ? { version, v2: true } : { version: '3', v2: false };
  }

  private async apps(spaceGuid: string, instances: CfServiceInstance[]): Promise<CfApp[]> {
    const apps = await this.list({ v3: `/v3/apps?space_guids=${spaceGuid}`, v2: `/v2/spaces/${spaceGuid}/apps` }, 'apps of the space');
    const bound = await this.bindings(instances);
    return apps.map(({ guid, entity }) => ({
      name: stringAt(entity, 'name') ?? guid,
      guid,
      state: (stringAt(entity, 'state') ?? 'STARTED').toUpperCase() === 'STOPPED' ? 'stopped' : 'started',
      instances: numberAt(entity, 'instances') ?? 1,
      boundServiceGuids: bound.filter((b) => b.app === guid).map((b) => b.instance),
    }));
  }

  private async instances(spaceGuid: string): Promise<CfServiceInstance[]> {
    const found = await this.list(
      { v3: `/v3/service_instances?space_guids=${spaceGuid}`, v2: `/v2/spaces/${spaceGuid}/service_instances` },
      'service instances of the space',
    );
    const cc = await this.cc();
    const out: CfServiceInstance[] = [];
    for (const { guid, entity } of found) {
      const planGuid = related(entity, 'service_plan') ?? stringAt(entity, 'service_plan_guid') ?? '';
      const plan = planGuid ? await cc.planOffering(planGuid) : null;
      const createdAt = stringAt(entity, 'created_at') ?? new Date(0).toISOString();
      out.push({
        guid,
        name: stringAt(entity, 'name') ?? guid,
        spaceGuid,
        offering: plan?.offering ?? '',
        plan: plan?.plan ?? '',
        createdAt,
        lastOperation: { type: 'create', state: 'succeeded', description: '', createdAt, updatedAt: createdAt },
        pollsUntilReady: 0,
      });
    }
    return out;
  }

  private async bindings(instances: CfServiceInstance[]): Promise<{ app: string; instance: string }[]> {
    const out: { app: string; instance: string }[] = [];
    for (const i of instances) {
      const found = await this.list(
        { v3: `/v3/service_credential_bindings?service_instance_guids=${i.guid}`, v2: `/v2/service_instances/${i.guid}/service_bindings` },
        `bindings of ${i.name}`,
      );
      for (const { entity } of found) {
        const app = related(entity, 'app') ?? stringAt(entity, 'app_guid');
        if (app) out.push({ app, instance: i.guid });
      }
    }
    return out;
  }

  private async offerings(): Promise<CfOffering[]> {
    const offerings = await this.list({ v3: '/v3/service_offerings', v2: '/v2/services' }, 'service offerings');
    const plans = await this.list({ v3: '/v3/service_plans', v2: '/v2/service_plans' }, 'service plans');
    return offerings.map(({ guid, entity }) => ({
      label: stringAt(entity, 'name') ?? stringAt(entity, 'label') ?? guid,
      guid,
      description: stringAt(entity, 'description'),
      brokerId: stringAt(recordAt(entity, 'broker_catalog'), 'id') ?? stringAt(entity, 'unique_id'),
      plans: plans
        .filter((p) => (related(p.entity, 'service_offering') ?? stringAt(p.entity, 'service_guid')) === guid)
        .map((p) => ({
          name: stringAt(p.entity, 'name') ?? p.guid,
          guid: p.guid,
          brokerId: stringAt(recordAt(p.entity, 'broker_catalog'), 'id') ?? stringAt(p.entity, 'unique_id'),
        })),
    }));
  }

  /** Audit events of these types, or none with the reason kept in `gaps`. */
  private async auditEvents(types: string[], where: { spaceGuid?: string; orgGuid?: string }): Promise<AuditEvent[]> {
    try {
      return (await (await this.cc()).events(types, where)).events;
    } catch (err) {
      this.gaps.push(`audit events: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }
}

/** An audit event as the rehearsal's Cloud Controller stores it. */
function toWorldEvent(e: AuditEvent): CfAuditEvent {
  return {
    guid: e.guid,
    type: e.type,
    timestamp: e.time,
    actor: { guid: '', type: 'user', name: e.actor },
    target: { guid: e.targetGuid, type: e.targetType, name: e.targetName },
    data: { request: e.request },
    spaceGuid: e.spaceGuid,
    orgGuid: e.orgGuid,
  };
}
