/**
 * The seed incident's space deleted with `cf delete-space`, as the Cloud Controller leaves it: the
 * space gone from its org (its apps with it), and the audit events it wrote over the space's life
 * and at its deletion (v2 /v2/events and v3 /v3/audit_events render the same events).
 */
import { createHash } from 'node:crypto';
import { type CfWorld, type CfAuditEvent } from '../../../src/rehearsal/cf/index.js';
import { SEED_DELETED, deletedInstance, type OldInstance } from './shared.js';
import type { CaseOptions } from './case-types.js';
import { seedSpace } from './platform.js';

/** The seed offering's plans (their Cloud Controller GUIDs are the broker's ids). */
const PLAN_GUID = { solo: '1545e30e-6dc3-11e5-826a-6c4008a663f0', cluster: '1545e30e-6dc3-11e5-826a-6c4008a663f1' } as const;
/** When the user ran `cf delete-space`: just before the broker removed the seed instance's node (syslog). */
export const SPACE_DELETED_AT = '2016-03-16T23:10:15Z';
const ACTOR = { guid: 'a5e1c0de-2b7f-4e11-9c3a-5d8f0e6b7a21', type: 'user', name: 'dana@acme.example', username: 'dana' };

/** A deleted Dingo instance that never archived: no archive, no syslog line, only its audit events. */
export const NEVER_ARCHIVED = deletedInstance('scratch-db', 1);

export interface DeletedSpace {
  name: string;
  guid: string;
  orgGuid: string;
  /** App name → the deleted instances it was bound to. */
  bindings: Record<string, OldInstance[]>;
  /** Every Dingo instance the space held when it was deleted (archived or not), with the plan it was created with. */
  instances: { old: OldInstance; plan: keyof typeof PLAN_GUID }[];
}

const guidOf = (seed: string): string => {
  const h = createHash('sha256').update(`deleted-space/${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** `seconds` after `iso` (whole seconds, as the Cloud Controller writes them). */
const at = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString().replace('.000Z', 'Z');

function event(
  space: DeletedSpace,
  type: string,
  timestamp: string,
  target: CfAuditEvent['target'],
  request: Record<string, unknown> = {},
): CfAuditEvent {
  return {
    guid: guidOf(`${type}/${target.guid}/${timestamp}`),
    type,
    timestamp,
    actor: ACTOR,
    target,
    data: { request },
    spaceGuid: space.guid,
    orgGuid: space.orgGuid,
  };
}

/** What the space's life and its deletion wrote, oldest first. */
export function spaceEvents(space: DeletedSpace, appGuids: Record<string, string>): CfAuditEvent[] {
  const created = '2016-03-16T18:40:00Z';
  const life: CfAuditEvent[] = [
    event(space, 'audit.space.create', created, { guid: space.guid, type: 'space', name: space.name }, { name: space.name }),
    ...space.instances.map(({ old: d, plan }, i) =>
      event(
        space,
        'audit.service_instance.create',
        at(created, 60 + i),
        { guid: d.guid, type: 'service_instance', name: d.name },
        {
          name: d.name,
          service_plan_guid: PLAN_GUID[plan],
          space_guid: space.guid,
        },
      ),
    ),
  ];
  // The apps' create events are older than the Cloud Controller keeps events (31 days by default):
  // only a restage of the week before the deletion names each app.
  const restaged = Object.entries(appGuids).map(([app, guid], i) =>
    event(space, 'audit.app.restage', at(SPACE_DELETED_AT, -7 * 86_400 + i), { guid, type: 'app', name: app }),
  );
  const bindings = Object.entries(space.bindings).flatMap(([app, instances]) =>
    instances.map((d) => ({ guid: guidOf(`binding/${app}/${d.guid}`), app: appGuids[app]!, instance: d.guid })),
  );
  const bound = bindings.map((b, i) =>
    event(
      space,
      'audit.service_binding.create',
      at(created, 180 + i),
      { guid: b.guid, type: 'service_binding', name: '' },
      {
        service_instance_guid: b.instance,
        app_guid: b.app,
      },
    ),
  );
  // `cf delete-space` (recursive): the request, then every binding and instance of the space (no event per app).
  const deletion: CfAuditEvent[] = [
    event(
      space,
      'audit.space.delete-request',
      SPACE_DELETED_AT,
      { guid: space.guid, type: 'space', name: space.name },
      { recursive: true },
    ),
    ...bindings.map((b) =>
      event(space, 'audit.service_binding.delete', at(SPACE_DELETED_AT, 1), { guid: b.guid, type: 'service_binding', name: '' }),
    ),
    ...space.instances.map(({ old: d }, i) =>
      event(space, 'audit.service_instance.delete', at(SPACE_DELETED_AT, 2 + i), { guid: d.guid, type: 'service_instance', name: d.name }),
    ),
  ];
  return [...life, ...bound, ...restaged, ...deletion];
}

/**
 * The seed cf world after `cf delete-space`: the space (and its apps) gone from the org, its audit
 * events kept; the org's other spaces untouched.
 */
export function spaceDeleted(seed: CfWorld, space: DeletedSpace): CfWorld {
  const org = seed.orgs.find((o) => o.guid === space.orgGuid);
  const gone = org?.spaces.find((s) => s.guid === space.guid);
  if (!org || !gone) throw new Error(`the seed cf world has no space ${space.guid} in org ${space.orgGuid}`);
  const appGuids = Object.fromEntries(gone.apps.map((a) => [a.name, a.guid]));
  return {
    ...seed,
    orgs: seed.orgs.map((o) => (o === org ? { ...o, spaces: o.spaces.filter((s) => s !== gone) } : o)),
    events: [...(seed.events ?? []), ...spaceEvents(space, appGuids)],
  };
}

/** The seed incident's space, which the deleted-space cases delete. */
export const SEED_SPACE = 'important-space-and-all-databases';

/**
 * A case of the seed space after `cf delete-space`: the seed instance and `other` archived (both of
 * the cluster plan, bound to their-app), NEVER_ARCHIVED with no archive; recover-space's answers.
 */
export function seedSpaceDeleted(other: OldInstance): CaseOptions {
  const { orgGuid, spaceGuid } = seedSpace();
  return {
    deleted: [SEED_DELETED, other],
    cfWorld: (w) =>
      spaceDeleted(w, {
        name: SEED_SPACE,
        guid: spaceGuid,
        orgGuid,
        bindings: { 'their-app': [SEED_DELETED, other] },
        instances: [
          { old: SEED_DELETED, plan: 'cluster' },
          { old: other, plan: 'cluster' },
          { old: NEVER_ARCHIVED, plan: 'solo' },
        ],
      }),
    answers: `inputs:\n  org: acme\n  space: ${SEED_SPACE}\n`,
  };
}
