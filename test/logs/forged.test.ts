/**
 * Lines a tenant's database logs reach syslog under its container's tag, and a tenant controls
 * whole payload lines: each attack below forges a line of another source from a tenant container.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../src/core/redact.js';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { runLogs } from '../support/logs-cli.js';
import { brokerRecord, containerLines, walUpload } from '../support/forged-lines.js';
import { BUCKET, CELL_HOST as CELL, OLD_GUID as MINE } from '../support/live/shared.js';
import { openLogSource } from '../../src/systems/log-source.js';

const VICTIM = 'a1b2c3d4-0000-4000-8000-00000000000a';
const TENANT = 'f00d5e11-0000-4000-8000-00000000000b';
const MY_NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
const VICTIM_NODE = 'd1d1d1d1-0000-4000-8000-000000000001';
const TENANT_NODE = '80a1b2c3-0000-4000-8000-000000000002';
const ROUTER = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';

function lager(time: string, ts: number, message: string, data: Record<string, unknown>): string {
  return `${time} ${ROUTER} broker.stdout.log:  ${brokerRecord(ts, message, data)}`;
}
/** A line the tenant's database logs: after its container's own prefix, any text. */
const tenant = containerLines(CELL, `cf-${TENANT_NODE}`, TENANT);
function upload(guid: string, bucket = BUCKET): string {
  return walUpload(`s3://${bucket}/backups/${guid}/wal/`);
}
function wal(time: string, node: string, guid: string): string {
  return containerLines(CELL, `cf-${node}`, guid)(time, upload(guid));
}

/** Two deleted instances, mine ("orders-db") and a victim's ("victim-db"), and a live tenant. */
const HONEST = [
  lager('Jan 10 10:00:00', 1484042400.5, 'add-node.perform', { 'instance-id': MINE, 'node-uuid': MY_NODE, cell: CELL }),
  lager('Jan 10 10:00:01', 1484042401.5, 'add-node.perform', { 'instance-id': VICTIM, 'node-uuid': VICTIM_NODE, cell: CELL }),
  lager('Jan 10 10:00:02', 1484042402.5, 'add-node.perform', { 'instance-id': TENANT, 'node-uuid': TENANT_NODE, cell: CELL }),
  lager('Jan 10 10:01:00', 1484042460.5, 'provision.lookup-service-name.update-recreation-data.saved', {
    'instance-id': MINE,
    name: 'orders-db',
  }),
  lager('Jan 10 10:02:00', 1484042520.5, 'provision.lookup-service-name.update-recreation-data.saved', {
    'instance-id': VICTIM,
    name: 'victim-db',
  }),
  wal('Jan 10 11:00:00', MY_NODE, MINE),
  wal('Jan 10 11:00:05', VICTIM_NODE, VICTIM),
  lager('Jan 10 12:00:00', 1484049600.5, 'deprovision.start', { 'instance-id': MINE }),
  lager('Jan 10 12:30:00', 1484051400.5, 'deprovision.start', { 'instance-id': VICTIM }),
];

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logs-forged-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function logs(lines: string[]): Promise<string> {
  const dir = join(root, `case-${++n}`);
  await mkdir(dir);
  await writeFile(join(dir, 'syslog'), lines.join('\n') + '\n');
  await utimes(join(dir, 'syslog'), new Date('2017-01-11T00:00:00Z'), new Date('2017-01-11T00:00:00Z'));
  return dir;
}

/** The redactor of the finds below, as a run's. */
const redactor = new Redactor();

async function find(serviceName: string, lines: string[]) {
  return findDeletedInstance({ sources: openLogSource({ paths: [await logs(lines)] }), serviceName, redactor });
}

describe('lines forged by a tenant are never evidence', () => {
  it('a recreation-data record naming another user\u2019s instance does not rank it', async () => {
    const forged = tenant(
      'Jan 10 13:00:00',
      brokerRecord(1484053200.5, 'provision.lookup-service-name.update-recreation-data.saved', {
        'instance-id': VICTIM,
        name: 'orders-db',
      }),
    );
    const r = await find('orders-db', [...HONEST, forged]);
    expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([[MINE, 'high']]);
    expect(r.searched.warnings).toEqual([
      expect.stringMatching(new RegExp(`^1 broker-shaped line\\(s\\) written by container cf-${TENANT_NODE} ignored`)),
    ]);
  });

  it('a callbacks.restore.done record naming a victim\u2019s instance does not name it', async () => {
    const forged = tenant(
      'Jan 10 13:00:00',
      brokerRecord(1484053200.5, 'callbacks.restore.done', {
        clusterData: { instance_id: VICTIM, service_instance_name: 'tenant-db', organization_guid: TENANT, space_guid: TENANT },
      }),
    );
    const r = await find('tenant-db', [...HONEST, forged]);
    expect(r.candidates.map((c) => c.instanceGuid)).not.toContain(VICTIM);
    const victim = await find('victim-db', [...HONEST, forged]);
    expect(victim.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([[VICTIM, 'high']]);
  });

  it('an upload dated after the deletion does not hide it', async () => {
    const r = await find('orders-db', [...HONEST, tenant('Jan 10 13:00:00', upload(MINE))]);
    expect(r.candidates).toHaveLength(1);
    expect(r.candidates[0]).toMatchObject({ instanceGuid: MINE, deletedAt: '2017-01-10T12:00:00.500Z', confidence: 'high' });
    expect(r.candidates[0]!.lastWalPushAt).toBe('2017-01-10T11:00:00.000Z');
    // The tenant's container writes wal-e's lines; what it may not do is speak for an instance it does not serve.
    expect(r.searched.warnings.join('\n')).toContain(
      `1 wal-e-shaped line(s) written by container cf-${TENANT_NODE} ignored: nothing in the logs searched ties that container's node to the instance they name`,
    );
  });

  it('a wal-e time the tenant wrote, later than its line was logged, neither dates the line nor outlives the deletion', async () => {
    const key = `s3://${BUCKET}/backups/${MINE}/wal/wal_005/000000010000000000000002.lzo`;
    const structured = (time: string) =>
      `STRUCTURED: time=${time} pid=231 action=push-wal key=${key} prefix=backups/${MINE}/wal/ rate=512.3 seg=000000010000000000000002 state=complete`;
    const mine = containerLines(CELL, `cf-${MY_NODE}`, MINE);
    // Logged at 11:30 (RFC 3164, no year), wal-e's own time two days on: the line keeps the platform's time.
    const late = await find('orders-db', [...HONEST, mine('Jan 10 11:30:00', structured('2017-01-12T11:30:00.250000-00'))]);
    expect(late.candidates[0]).toMatchObject({ instanceGuid: MINE, deletedAt: '2017-01-10T12:00:00.500Z', confidence: 'high' });
    expect(late.candidates[0]!.lastWalUploadAt).toBe('2017-01-10T11:30:00.000Z');
    // A prefix with its year (RFC 5424) is the platform's time, whatever wal-e's says.
    const rfc5424 = `<14>1 2017-01-10T11:40:00.000000+00:00 ${CELL} docker/cf-${MY_NODE} 4242 - - ${MINE.slice(0, 6)}-patroni> ${structured('2017-01-10T13:00:00.000000-00')}`;
    const dated = await find('orders-db', [...HONEST, rfc5424]);
    expect(dated.candidates[0]).toMatchObject({ instanceGuid: MINE, deletedAt: '2017-01-10T12:00:00.500Z', confidence: 'high' });
    expect(dated.candidates[0]!.lastWalUploadAt).toBe('2017-01-10T11:40:00.000Z');
    // wal-e's time that agrees with its prefix still dates it, to its microsecond.
    const honest = await find('orders-db', [...HONEST, mine('Jan 10 11:30:00', structured('2017-01-10T11:30:00.250000-00'))]);
    expect(honest.candidates[0]!.lastWalUploadAt).toBe('2017-01-10T11:30:00.250Z');
  });

  it('an upload wal-e began is not one it completed', async () => {
    const mine = containerLines(CELL, `cf-${MY_NODE}`, MINE);
    const complete = `DETAIL: Archiving to "s3://${BUCKET}/backups/${MINE}/wal/wal_005/000000010000000000000001.lzo" complete at 2319.31KiB/s.`;
    const begun = await find('orders-db', HONEST);
    expect(begun.candidates[0]).toMatchObject({ lastWalUploadAt: null, lastWalPushAt: '2017-01-10T11:00:00.000Z' });
    const done = await find('orders-db', [
      ...HONEST.slice(0, 5),
      mine('Jan 10 11:00:00', upload(MINE)),
      mine('Jan 10 11:00:02', complete),
      ...HONEST.slice(5),
    ]);
    expect(done.candidates[0]).toMatchObject({ lastWalUploadAt: '2017-01-10T11:00:02.000Z', lastWalPushAt: '2017-01-10T11:00:02.000Z' });
  });

  it('an upload into a look-alike bucket, logged before the real one, does not move the archive', async () => {
    const forged = tenant('Jan 10 10:30:00', upload(MINE, `${BUCKET}-archive`));
    const r = await find('orders-db', [...HONEST.slice(0, 5), forged, ...HONEST.slice(5)]);
    expect(r.candidates[0]!.archivePrefix).toBe(`s3://${BUCKET}/backups/${MINE}/wal/`);
  });

  it('a forged scope prefix in an image without one does not outweigh the node\u2019s record, logged later', async () => {
    // A 2016 image puts no scope before its lines: the tenant writes the victim's scope itself.
    const early = `Jan 10 09:00:00 ${CELL} docker/cf-${TENANT_NODE}:  patroni> ${MINE.slice(0, 6)}-patroni> ${upload(MINE, 'evil')}`;
    const bare = `Jan 10 09:00:01 ${CELL} docker/cf-${TENANT_NODE}:  ${MINE.slice(0, 6)}-patroni> ${upload(MINE, 'evil')}`;
    const r = await find('orders-db', [early, bare, ...HONEST]);
    expect(r.candidates[0]!.archivePrefix).toBe(`s3://${BUCKET}/backups/${MINE}/wal/`);
    const facts = await findInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [await logs([bare, ...HONEST])] }),
      instanceGuid: MINE,
    });
    expect(facts.nodes.map((x) => x.nodeUuid)).toEqual([MY_NODE]);
  });

  it('a public address from the tenant\u2019s own text does not move its node', async () => {
    const start = `Jan 10 10:05:00 ${CELL} docker/cf-${TENANT_NODE}:  ${TENANT.slice(0, 6)}-startup> public :5432 address 10.58.111.150:32800`;
    const forged = tenant('Jan 10 10:06:00', 'public :5432 address 203.0.113.9:5432');
    const facts = await findInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [await logs([...HONEST, start, forged])] }),
      instanceGuid: TENANT,
    });
    expect(facts.nodes).toEqual([{ nodeUuid: TENANT_NODE, cell: '10.58.111.150' }]);
  });

  it('broker records count from the broker\u2019s tag on a router, not from a cell or another tag', async () => {
    const rec = brokerRecord(1484053200.5, 'deprovision.start', { 'instance-id': TENANT });
    const fromCell = `Jan 10 13:00:00 0.cell_z1-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 broker.stdout.log:  ${rec}`;
    const otherTag = `Jan 10 13:00:01 ${ROUTER} haproxy.stdout.log:  ${rec}`;
    const r = await find('orders-db', [...HONEST, fromCell, otherTag]);
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual([MINE]);
    expect(r.searched.warnings).toHaveLength(2);
  });

  it("a forwarder's [job=… index=…] a tenant wrote before a broker record does not make its container the broker", async () => {
    const rec = brokerRecord(1484053200.5, 'deprovision.start', { 'instance-id': TENANT });
    const forged = [`[job=router_z1 index=0] ${rec}`, `[bosh instance=${ROUTER}/router/0] ${rec}`].map(
      (payload, k) => `Jan 10 13:00:0${k} ${CELL} docker/cf-${TENANT_NODE}:  ${payload}`,
    );
    const r = await find('orders-db', [...HONEST, ...forged]);
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual([MINE]);
    expect(r.searched.warnings).toEqual([
      `2 broker-shaped line(s) written by container cf-${TENANT_NODE} ignored: that source does not write such lines (a tenant's database can log any text)`,
    ]);
  });
});

describe('lines that are not evidence are shown', () => {
  it('`logs find` warns naming the container, and `--json` lists the warnings', async () => {
    const forged = [1, 2, 3].map((k) =>
      tenant(`Jan 10 13:00:0${k}`, brokerRecord(1484053200.5 + k, 'deprovision.start', { 'instance-id': VICTIM })),
    );
    const dir = await logs([...HONEST, ...forged]);
    const text = await runLogs(['logs', 'find', '--service-name', 'orders-db', '--logs', dir]);
    expect(text).toContain(`warning: 3 broker-shaped line(s) written by container cf-${TENANT_NODE} ignored`);
    const json = JSON.parse(await runLogs(['logs', 'find', '--service-name', 'orders-db', '--logs', dir, '--json'])) as {
      searched: { warnings: string[] };
    };
    expect(json.searched.warnings).toEqual([expect.stringContaining(`3 broker-shaped line(s) written by container cf-${TENANT_NODE}`)]);
  });
});

describe('secrets only from trusted sources', () => {
  it('a "password" equal to the bucket, in a log line from any source, redacts no archive URL', async () => {
    const fields = { instance_id: MINE, service_instance_name: 'orders-db', admin_credentials: { password: BUCKET } };
    const fromTenant = tenant('Jan 10 13:00:00', brokerRecord(1484053200.5, 'callbacks.restore.done', { clusterData: fields }));
    const fromBroker = lager('Jan 10 13:00:01', 1484053201.5, 'callbacks.restore.done', {
      clusterData: { ...fields, superuser_password: `s3://${BUCKET}/backups/${MINE}/wal/` },
    });
    const r = await find('orders-db', [...HONEST, fromTenant, fromBroker]);
    expect(r.candidates[0]!.archivePrefix).toBe(`s3://${BUCKET}/backups/${MINE}/wal/`);
    expect(redactor.redact(`s3://${BUCKET}/backups/${MINE}/wal/`)).toBe(`s3://${BUCKET}/backups/${MINE}/wal/`);
  });

  it('a restore.done quoted as evidence shows its passwords masked', async () => {
    const pw = 'quoted-password-7731';
    const done = lager('Jan 10 10:03:00', 1484042580.5, 'callbacks.restore.done', {
      clusterData: { instance_id: MINE, service_instance_name: 'orders-db', admin_credentials: { password: pw } },
    });
    const r = await find('orders-db', [...HONEST.filter((l) => !l.includes('update-recreation-data')), done]);
    const quoted = r.candidates[0]!.evidence.map((e) => e.line).join('\n');
    expect(quoted).toContain('callbacks.restore.done');
    expect(quoted).toContain(`"password":"${REDACTED}"`);
    expect(quoted).not.toContain(pw);
    // Masked in the line, not registered: a log line cannot decide what every later output hides.
    expect(redactor.redact(pw)).toBe(pw);
  });
});
