/**
 * The bundled deleted-space scenario: it loads, names its runbook, and its world agrees with
 * itself (audit events, broker syslog, archives); recreating its instances gives each its own
 * container on a cell, with the log lines that find it.
 */
import { Redactor } from '../../src/core/redact.js';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspectArchive } from '../../src/archive/inspect.js';
import { MemoryStore } from '../../src/rehearsal/memory-store.js';
import { World, WORLD_FILE, WORLD_SYSLOG, loadScenario } from '../../src/rehearsal/world.js';
import { tempDirs, thrown } from '../support/temp-dirs.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { localMachine } from '../../src/commands/run/local-machine.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/space-scenario');
const scenario = loadScenario(DIR);
const cf = scenario.initial.cf;
const events = cf.events ?? [];
const newDir = tempDirs('space-scenario-');

const deleteRequest = events.find((e) => e.type === 'audit.space.delete-request')!;
const DELETED = deleteRequest.target.guid;
const created = (type: string) => events.filter((e) => e.type === `audit.${type}.create` && e.spaceGuid === DELETED);
const dingo = created('service_instance').filter((e) => {
  const plan = (e.data.request as { service_plan_guid: string }).service_plan_guid;
  return cf.offerings.find((o) => o.label === 'dingo-postgresql')!.plans.some((p) => p.guid === plan);
});
const syslog = readdirSync(join(DIR, 'syslog'))
  .map((f) => {
    const bytes = readFileSync(join(DIR, 'syslog', f));
    return (f.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  })
  .join('');

describe('the deleted-space scenario', () => {
  it('loads, names the recover-space runbook, and ships plain and gzipped syslog', () => {
    expect(loadScenario(DIR).runbook).toBe('recover-space');
    expect(loadScenario(resolve(DIR, '../seed-003')).runbook).toBeUndefined();
    expect(scenario.answersFile).toBe(join(DIR, 'answers.yaml'));
    expect(scenario.syslogPaths.map((p) => p.slice(DIR.length))).toEqual(['/syslog/syslog', '/syslog/syslog.1.gz']);
  });

  it('deleted acme/analytics: gone from the orgs, and every event of its resources belongs to it', () => {
    const acme = cf.orgs.find((o) => o.name === 'acme')!;
    expect(deleteRequest).toMatchObject({ target: { type: 'space', name: 'analytics' }, orgGuid: acme.guid, actor: { username: 'dana' } });
    expect(JSON.stringify(cf.orgs)).not.toContain(DELETED);
    expect(cf.instances.some((i) => i.spaceGuid === DELETED)).toBe(false);
    const ofDeleted = new Set([DELETED, ...events.filter((e) => e.spaceGuid === DELETED).map((e) => e.target.guid)]);
    for (const e of events.filter((x) => ofDeleted.has(x.target.guid))) expect(e.spaceGuid, e.type).toBe(DELETED);
    expect(
      created('service_instance')
        .map((e) => e.target.name)
        .sort(),
    ).toEqual(['cache', 'orders-db', 'reports-db', 'scratch-db']);
    expect(created('app').map((e) => e.target.name)).toEqual(['web', 'worker']);
    const deletes = events.filter((e) => e.spaceGuid === DELETED && e.timestamp >= deleteRequest.timestamp);
    expect(
      deletes
        .filter((e) => e.type === 'audit.service_instance.delete')
        .map((e) => e.target.name)
        .sort(),
    ).toEqual(['cache', 'orders-db', 'reports-db', 'scratch-db']);
    expect(deletes.filter((e) => e.type === 'audit.service_binding.delete')).toHaveLength(created('service_binding').length);
    expect(deletes.filter((e) => e.type === 'audit.app.delete-request').map((e) => e.target.name)).toEqual(['web', 'worker']);
  });

  it('binds web to orders-db and reports-db, and worker to orders-db', () => {
    const name = (guid: string) => events.find((e) => e.target.guid === guid)!.target.name;
    const pairs = created('service_binding').map((e) => {
      const r = e.data.request as { app_guid: string; service_instance_guid: string };
      return `${name(r.app_guid)}->${name(r.service_instance_guid)}`;
    });
    expect(pairs).toEqual(['web->orders-db', 'web->reports-db', 'worker->orders-db']);
  });

  it('has archives for exactly orders-db and reports-db, and broker lines provisioning and deprovisioning each Dingo instance', () => {
    const keys = Object.keys(scenario.initial.s3['our-postgresql-backups']!);
    const archived = dingo.filter((e) =>
      keys.some((k) => k.startsWith(`backups/${e.target.guid}/wal/basebackups_005/`) && k.endsWith('_backup_stop_sentinel.json')),
    );
    expect(archived.map((e) => e.target.name).sort()).toEqual(['orders-db', 'reports-db']);
    const scratch = dingo.find((e) => e.target.name === 'scratch-db')!.target.guid;
    expect(keys.some((k) => k.includes(scratch))).toBe(false);
    expect(syslog).not.toMatch(new RegExp(`Uploading "pg_xlog/[0-9A-F]+" to "s3://[^"]*${scratch}`));
    for (const e of dingo) {
      const g = e.target.guid;
      expect(syslog, e.target.name).toContain(
        `"message":"dingo-postgresql-broker.deprovision.start","log_level":1,"data":{"instanceID":"${g}"`,
      );
      expect(syslog, e.target.name).toMatch(
        new RegExp(`\\\\"space_guid\\\\":\\\\"${DELETED}\\\\",\\\\"parameters\\\\":\\{\\\\"PATRONI_SCOPE\\\\":\\\\"${g}`),
      );
      expect(syslog, e.target.name).toContain(`"data":{"instance-id":"${g}","name":"${e.target.name}"`);
    }
  });

  it('archives orders-db and reports-db restorably up to their last WAL before the deletion; scratch-db has nothing', async () => {
    const store = new MemoryStore(
      structuredClone(scenario.initial.s3),
      () => undefined,
      () => new Date(),
    );
    const reports = await Promise.all(
      dingo.map(async (e) => ({
        name: e.target.name,
        r: await inspectArchive(store, `s3://our-postgresql-backups/backups/${e.target.guid}/wal/`, { redactor: new Redactor() }),
      })),
    );
    const summary = Object.fromEntries(reports.map(({ name, r }) => [name, [r.layout, r.restorable, r.restorableTo, r.restorableToAt]]));
    expect(summary).toEqual({
      'orders-db': ['wal-e', true, '00000001000000000000000E', '2017-05-09T13:58:40.700Z'],
      'reports-db': ['wal-e', true, '000000010000000000000007', '2017-05-09T13:51:07.700Z'],
      'scratch-db': ['empty', false, null, null],
    });
    for (const { r } of reports.filter((x) => x.r.restorable)) {
      expect(Date.parse(r.restorableToAt ?? ''), r.prefix).toBeLessThan(Date.parse(deleteRequest.timestamp));
    }
  });

  it('keeps its credentials fake and recognisable, and out of the syslog', () => {
    const text = readFileSync(join(DIR, 'scenario.yaml'), 'utf8');
    for (const key of text.match(/AKIA[0-9A-Z]{16}/g) ?? []) expect(key).toMatch(/^AKIAIOSFODNN7DINGO\d\d$/);
    for (const secret of text.match(/AWS_SECRET_ACCESS_KEY[=:] ?\S+/g) ?? []) expect(secret).toMatch(/DINGOSECRET/);
    expect(syslog).not.toMatch(/AKIA|DINGOSECRET|password-/);
  });
});

describe('a scenario folder', () => {
  it('is refused when scenario.yaml is missing, or holds a malformed audit event (named by its index)', () => {
    const dir = newDir();
    expect(thrown(() => loadScenario(dir)).message).toContain(`no scenario at ${dir}`);
    const text = readFileSync(join(DIR, 'scenario.yaml'), 'utf8');
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'scenario.yaml'), text.replace(/"timestamp": "2017-03-14T09:10:05Z"/, '"timestamp": "yesterday"'));
    const err = thrown(() => loadScenario(join(dir, 'bad')));
    expect(err.message).toMatch(/scenario\.yaml: world\.cf\.events\[6\] has timestamp yesterday, not a time$/);
  });
});

describe('recreating the instances of the deleted space', () => {
  it('gives two create-service calls two instances, each with its own container, archive and log lines, both on one cell', async () => {
    const run = newDir();
    const world = World.open(run, scenario);
    const platform = world.platform(scenario, openLogSource, localMachine);
    const cfRun = (...argv: string[]) => platform.cf.run({ argv: ['cf', ...argv], writes: true });
    expect((await cfRun('create-space', 'analytics', '-o', 'acme')).stdout).toMatch(/^OK$/m);
    await cfRun('target', '-o', 'acme', '-s', 'analytics');
    expect((await cfRun('apps')).stdout).toMatch(/No apps found/);
    // One node each, as the recovery asks: this 2017 broker makes two without node-count.
    await cfRun('create-service', 'dingo-postgresql', 'cluster', 'orders-db', '-c', '{"node-count":1}');
    await cfRun('create-service', 'dingo-postgresql', 'solo', 'reports-db', '-c', '{"node-count":1}');
    const [orders, reports] = cf.nextInstanceGuids;
    expect(world.state.cf.instances.filter((i) => i.spaceGuid === world.state.cf.orgs[0]!.spaces[1]!.guid).map((i) => i.guid)).toEqual([
      orders,
      reports,
    ]);
    const cell = world.state.cells['10.58.111.151']!;
    const scopes = Object.values(cell.containers).flatMap((c) => c.env.filter((e) => e.startsWith('PATRONI_SCOPE=')));
    expect(scopes).toEqual([`PATRONI_SCOPE=${orders}`, `PATRONI_SCOPE=${reports}`]);
    const bucket = world.state.s3['our-postgresql-backups']!;
    for (const g of [orders, reports]) expect(bucket[`backups/${g}/wal/sysids/sysid`]).toBeDefined();
    const lines = readFileSync(join(run, WORLD_SYSLOG), 'utf8');
    const newSpace = cf.nextSpaceGuids![0]!;
    const brokerPlanIds = ['1545e30e-6dc3-11e5-826a-6c4008a663f1', '1545e30e-6dc3-11e5-826a-6c4008a663f0'];
    scenario.initial.placements.forEach((p, k) => {
      const scope = [orders, reports][k]!;
      expect(lines).toContain(`docker/cf-${p.nodeUuid}:  ${scope.slice(0, 6)}-startup> public :5432 address 10.58.111.151:${p.hostPort}`);
      expect(lines).toContain(`\\"space_guid\\":\\"${newSpace}\\",\\"parameters\\":{\\"PATRONI_SCOPE\\":\\"${scope}\\"`);
      expect(lines).toContain(`'Labels'=>{'plan_id'=>'${brokerPlanIds[k]!}', 'instance_id'=>'${p.nodeUuid}'}`);
    });
    const recorded = world.state.cf.events!.slice(events.length).map((e) => `${e.type} ${e.target.name}`);
    expect(recorded).toEqual([
      'audit.space.create analytics',
      'audit.service_instance.create orders-db',
      'audit.service_instance.create reports-db',
    ]);
    const saved = readFileSync(join(run, WORLD_FILE), 'utf8');
    expect(saved).not.toMatch(/DINGOSECRET|new-app-password|orders-app-password/);
  });
});
