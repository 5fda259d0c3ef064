/** The space finder on generated syslog, and what the audit events say a space held. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/adapters/cf/index.js';
import { findSpaceInstances } from '../../src/logs/space.js';
import { holdings, instancesFromEvents, spaceDeletions } from '../../src/logs/space-holdings.js';
import { appNames } from '../../src/logs/app-names.js';
import { generateLogs, type GeneratedLogs } from '../support/generate-logs.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';

let root: string;
let truth: GeneratedLogs;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logs-space-'));
  truth = await generateLogs({ dir: root, seed: 7, names: ['orders-db', 'reports-db', 'scratch-db', 'elsewhere-db'] });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('findSpaceInstances', () => {
  it("finds the instances provisioned in the space, with their archives and nodes, and none of another space's", async () => {
    const r = await findSpaceInstances({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [root] }),
      spaceGuid: truth.spaceGuid,
      guids: [],
    });
    const inSpace = truth.instances.filter((i) => i.spaceGuid === truth.spaceGuid);
    expect(inSpace.length).toBeGreaterThan(1);
    expect(r.instances.map((i) => i.instanceGuid).sort()).toEqual(inSpace.map((i) => i.guid).sort());
    for (const t of inSpace) {
      const found = r.instances.find((i) => i.instanceGuid === t.guid)!;
      expect(found.archivePrefix).toBe(t.archivePrefix);
      expect(found.lastWalUploadAt).toBe(t.lastWalUploadAt);
      expect(found.nodes.map((n) => n.nodeUuid).sort()).toEqual(t.nodes.map((n) => n.nodeUuid).sort());
      expect(found.brokerSeen).toBe(true);
      expect(found.deletedAt === null).toBe(t.deletedAt === null);
    }
    expect(r.buckets).toEqual(['our-postgresql-backups']);
    const json = JSON.stringify(r);
    for (const i of truth.instances) for (const pw of i.passwords) expect(json).not.toContain(pw);
  });

  it('also looks up the instances the events name, whatever space the logs give them', async () => {
    const elsewhere = truth.instances.find((i) => i.spaceGuid !== truth.spaceGuid)!;
    const unknown = '0b9d6a3e-1f2c-4d5e-8f70-9a8b7c6d5e4f';
    const r = await findSpaceInstances({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [root] }),
      spaceGuid: truth.spaceGuid,
      guids: [elsewhere.guid, unknown],
    });
    expect(r.instances.find((i) => i.instanceGuid === elsewhere.guid)?.archivePrefix).toBe(elsewhere.archivePrefix);
    const ghost = r.instances.find((i) => i.instanceGuid === unknown)!;
    expect(ghost).toMatchObject({ archivePrefix: null, brokerSeen: false, deletedAt: null });
  });
});

const SPACE = 'cb97dd25-d4f7-4185-9e6f-ad6e585c207c';
let n = 0;
function ev(type: string, time: string, targetGuid: string, targetName: string, request: Record<string, unknown> = {}): AuditEvent {
  n += 1;
  const targetType = type.split('.')[1]!;
  return {
    guid: `e${n}`,
    type,
    time,
    actor: 'dev@example.com',
    targetGuid,
    targetType,
    targetName,
    spaceGuid: SPACE,
    orgGuid: 'o',
    request,
  };
}

describe('what the audit events say a space held', () => {
  const SPACE_GONE = '2016-03-16T23:00:00Z';
  const events = [
    ev('audit.app.create', '2016-03-01T10:00:00Z', 'app-web', 'web'),
    ev('audit.app.create', '2016-03-01T10:00:00Z', 'app-worker', 'worker'),
    ev('audit.app.create', '2016-03-01T10:00:00Z', 'app-old', 'old-cron'),
    ev('audit.service_instance.create', '2016-03-02T10:00:00Z', 'si-orders', 'orders-db', { service_plan_guid: 'plan-solo' }),
    ev('audit.service_instance.update', '2016-03-03T10:00:00Z', 'si-orders', 'orders-db', {
      relationships: { service_plan: { data: { guid: 'plan-cluster' } } },
    }),
    ev('audit.service_binding.create', '2016-03-04T10:00:00Z', 'b1', '', { app_guid: 'app-web', service_instance_guid: 'si-orders' }),
    ev('audit.service_binding.create', '2016-03-04T10:00:00Z', 'b2', '', {
      type: 'app',
      relationships: { app: { data: { guid: 'app-worker' } }, service_instance: { data: { guid: 'si-orders' } } },
    }),
    ev('audit.service_binding.create', '2016-03-04T10:00:00Z', 'b3', '', { app_guid: 'app-old', service_instance_guid: 'si-orders' }),
    ev('audit.service_binding.delete', '2016-03-10T10:00:00Z', 'b3', ''),
    ev('audit.service_instance.create', '2016-03-05T10:00:00Z', 'si-early', 'early-db', { service_plan_guid: 'plan-solo' }),
    ev('audit.service_instance.delete', '2016-03-06T10:00:00Z', 'si-early', 'early-db'),
    ev('audit.service_binding.delete', '2016-03-16T23:00:05Z', 'b1', ''),
    ev('audit.service_instance.delete', '2016-03-16T23:00:09Z', 'si-orders', 'orders-db'),
  ];

  it('names each instance with its latest plan and the apps bound when the space went (earlier unbinds do not count)', () => {
    const got = instancesFromEvents(events, SPACE_GONE).get('si-orders')!;
    expect(got).toMatchObject({ name: 'orders-db', planGuid: 'plan-cluster', deletedAt: '2016-03-16T23:00:09Z' });
    expect(got.apps.sort()).toEqual(['web', 'worker']);
  });

  it('names a bound app from its latest update or restage when its create event is gone, and keeps its GUID', () => {
    // The create events are older than the CC keeps them; the space delete recorded no app event.
    const recent = [
      ev('audit.service_instance.create', '2016-03-02T10:00:00Z', 'si-orders', 'orders-db', { service_plan_guid: 'plan-solo' }),
      ev('audit.service_binding.create', '2016-03-04T10:00:00Z', 'b1', '', { app_guid: 'app-web', service_instance_guid: 'si-orders' }),
      ev('audit.service_binding.create', '2016-03-04T10:00:00Z', 'b2', '', { app_guid: 'app-worker', service_instance_guid: 'si-orders' }),
      ev('audit.service_binding.create', '2016-03-04T10:00:00Z', 'b3', '', { app_guid: 'app-cron', service_instance_guid: 'si-orders' }),
      ev('audit.app.restage', '2016-03-09T10:00:00Z', 'app-worker', 'worker'),
      // Renamed: the update's target still has the old name; its request has the new one.
      ev('audit.app.update', '2016-03-12T10:00:00Z', 'app-web', 'web', { name: 'storefront' }),
      ev('audit.app.restage', '2016-03-08T10:00:00Z', 'app-web', 'web-v0'),
      ev('audit.service_instance.delete', '2016-03-16T23:00:09Z', 'si-orders', 'orders-db'),
    ];
    expect(appNames(recent)).toEqual(
      new Map([
        ['app-web', 'storefront'],
        ['app-worker', 'worker'],
      ]),
    );
    const got = instancesFromEvents(recent, SPACE_GONE).get('si-orders')!;
    expect(got.apps).toEqual(['storefront', 'worker', 'app-cron']);
    expect(got.appGuids).toEqual({ storefront: 'app-web', worker: 'app-worker', 'app-cron': 'app-cron' });
  });

  it('sets an instance deleted before the space apart, with why', () => {
    const h = holdings(events, SPACE_GONE, []);
    expect(h.map((x) => [x.name, x.goneBefore === null])).toEqual([
      ['early-db', false],
      ['orders-db', true],
    ]);
    expect(h[0]!.goneBefore).toContain('before the space was');
  });

  it('counts what the v3 delete-space removed before it recorded the request (cf 7 and 8), bindings whose create event is gone too', () => {
    // CC's SpaceDelete deletes instances, bindings and apps, then records audit.space.delete-request last.
    const v3 = [
      ev('audit.app.create', '2016-03-01T10:00:00Z', 'app-web', 'web'),
      ev('audit.service_instance.create', '2016-03-02T10:00:00Z', 'si-orders', 'orders-db', { service_plan_guid: 'plan-solo' }),
      ev('audit.service_binding.delete', '2016-03-16T22:59:40Z', 'b9', '', {
        app_guid: 'app-web',
        route_guid: null,
        service_instance_guid: 'si-orders',
      }),
      ev('audit.service_instance.delete', '2016-03-16T22:59:53Z', 'si-orders', 'orders-db'),
      ev('audit.app.delete-request', '2016-03-16T22:59:58Z', 'app-web', 'web'),
      ev('audit.service_instance.create', '2016-03-05T10:00:00Z', 'si-early', 'early-db', { service_plan_guid: 'plan-solo' }),
      ev('audit.service_instance.delete', '2016-03-11T10:00:00Z', 'si-early', 'early-db'),
    ];
    const h = holdings(v3, SPACE_GONE, []);
    expect(h.map((x) => [x.name, x.goneBefore === null, x.apps])).toEqual([
      ['early-db', false, []],
      ['orders-db', true, ['web']],
    ]);
    expect(h[1]!.evidence).toContainEqual(
      expect.stringMatching(/^deleted 7 s before the space's delete-request was recorded: cf delete-space/),
    );
  });

  it('picks the newest deletion of a space with that name first', () => {
    const older = { ...ev('audit.space.delete-request', '2016-01-01T00:00:00Z', 'old-space', 'analytics') };
    const newer = { ...ev('audit.space.delete-request', '2016-03-16T23:00:00Z', SPACE, 'analytics') };
    const other = { ...ev('audit.space.delete-request', '2016-03-17T00:00:00Z', 'x', 'staging') };
    expect(spaceDeletions([older, newer, other], 'analytics').map((d) => d.spaceGuid)).toEqual([SPACE, 'old-space']);
  });
});
