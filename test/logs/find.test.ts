import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeletedInstance, findInstance, noCandidateError } from '../../src/logs/find.js';
import { generateLogs, type GeneratedLogs, type TruthInstance } from '../support/generate-logs.js';
import { startMoto, type Moto } from '../support/moto.js';
import { ifStarted } from '../support/started.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';
import { sizeFromLogs } from '../../src/actions/support/cluster-size.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logs-find-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function expectMatchesTruth(c: Awaited<ReturnType<typeof findDeletedInstance>>['candidates'][number], t: TruthInstance) {
  expect(c.instanceGuid).toBe(t.guid);
  expect(c.archivePrefix).toBe(t.archivePrefix);
  expect(c.lastWalUploadAt).toBe(t.lastWalUploadAt);
  expect(Math.abs(Date.parse(c.deletedAt!) - Date.parse(t.deletedAt!))).toBeLessThan(1000);
  // The 2016 broker logs the cell's IP (backend), the 2017 one its agent id (cell).
  const cell = (n: TruthInstance['nodes'][number]) => (t.generation === 'patroni-broker' ? n.cellIp : n.cellAgent);
  expect(c.nodes.map((n) => [n.nodeUuid, n.cell]).sort()).toEqual(t.nodes.map((n) => [n.nodeUuid, cell(n)]).sort());
  // Its size: the broker's own record (2016's provision node_count, v0.9's run-cluster features), and every node removed by name.
  expect(c.size).toEqual({
    seen: t.nodes.length,
    recorded: { nodes: t.nodes.length, evidence: expect.anything() },
    removedAtDeletion: t.nodes.length,
  });
  expect(sizeFromLogs(c.size, 'cluster', 'solo')?.nodes).toBe(t.nodes.length);
}

describe('findDeletedInstance on generated syslog (both broker generations, gzip rotation)', () => {
  for (const seed of [1, 2, 3]) {
    it(`names the newest deletion of the name first, with evidence (seed ${seed})`, async () => {
      const dir = join(root, `seed-${seed}`);
      const truth = await generateLogs({ dir, seed });
      const want = truth.expectedFor('important-db')!;
      const r = await findDeletedInstance({
        redactor: new Redactor(),
        sources: openLogSource({ paths: [dir] }),
        serviceName: 'important-db',
      });
      expect(r.candidates[0]!.serviceName).toBe('important-db');
      expect(r.candidates[0]!.confidence).toBe('high');
      expectMatchesTruth(r.candidates[0]!, want);
      // The runbook's "last remove-node line" would name another instance.
      const newestDeletion = [...truth.instances]
        .filter((i) => i.deletedAt)
        .sort((a, b) => Date.parse(b.deletedAt!) - Date.parse(a.deletedAt!))[0]!;
      expect(newestDeletion.guid).not.toBe(want.guid);
      // Older deletions of the same name rank below, as medium.
      const older = truth.instances.filter(
        (i) => i.name === 'important-db' && i.deletedAt && i.guid !== want.guid && i.generation === 'dingo-postgresql-broker',
      );
      for (const o of older) expect(r.candidates.find((c) => c.instanceGuid === o.guid)?.confidence).toBe('medium');
      // Instances with other names never appear; live ones neither.
      const others = truth.instances.filter(
        (i) => (i.name !== 'important-db' && i.generation === 'dingo-postgresql-broker') || !i.deletedAt,
      );
      for (const o of others) expect(r.candidates.map((c) => c.instanceGuid)).not.toContain(o.guid);
      const whys = r.candidates[0]!.evidence.map((e) => e.why).join('\n');
      expect(whys).toMatch(/deprovisioning/);
      expect(whys).toMatch(/haproxy was reloaded/);
      expect(whys).toMatch(/"important-db"/);
      expect(r.candidates[0]!.evidence.every((e) => e.line === '' || e.source.startsWith(dir))).toBe(true);
      const json = JSON.stringify(r);
      for (const i of truth.instances) for (const pw of i.passwords) expect(json).not.toContain(pw);
      expect(r.searched.files).toHaveLength(4);
      expect(r.searched.files.filter((f) => f.gzip)).toHaveLength(2);
      expect(r.searched.notes.join('\n')).toMatch(/RFC 3164 lines carry no year or zone: where a file held dated lines/);
    });
  }

  it('keeps node replacements apart from deletions, in both generations', async () => {
    const dir = join(root, 'seed-5');
    const truth = await generateLogs({ dir, seed: 5 });
    // Instances 0 (2016 broker) and 4 (2017 broker) had a node replaced six hours after creation.
    const [old, , , , recent] = truth.instances;
    expect(old!.generation).toBe('patroni-broker');
    expect(recent!.generation).toBe('dingo-postgresql-broker');
    const a = await findDeletedInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), serviceName: old!.name });
    expectMatchesTruth(
      a.candidates.find((c) => c.instanceGuid === old!.guid)!,
      old!,
    );
    const b = await findDeletedInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), serviceName: recent!.name });
    expectMatchesTruth(b.candidates[0]!, recent!);
  });

  it('honours --until and --since', async () => {
    const dir = join(root, 'window');
    const truth = await generateLogs({ dir, seed: 1 });
    const want = truth.expectedFor('important-db')!;
    const before = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
      until: new Date(Date.parse(want.deletedAt!) - 3_600_000),
    });
    expect(before.candidates[0]?.instanceGuid).not.toBe(want.guid);
    expect(before.searched.window.until).not.toBeNull();
    const after = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
      since: new Date(Date.parse(want.createdAt) - 60_000),
    });
    expect(after.candidates[0]!.instanceGuid).toBe(want.guid);
  });

  it('leaves out instances of another space when the space GUID is given', async () => {
    const dir = join(root, 'spaces');
    // Instance 3 is created in another space; it is the newest deletion of the name.
    const truth = await generateLogs({ dir, seed: 4, names: ['a', 'important-db', 'b', 'important-db', 'important-db', 'c', 'd', 'e'] });
    const other = truth.instances[3]!;
    expect(other.spaceGuid).not.toBe(truth.spaceGuid);
    const all = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(all.candidates.map((c) => c.instanceGuid)).toContain(other.guid);
    const mine = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
      spaceGuid: truth.spaceGuid,
    });
    expect(mine.candidates.map((c) => c.instanceGuid)).not.toContain(other.guid);
    expect(mine.candidates[0]!.instanceGuid).toBe(truth.expectedFor('important-db')!.guid);
  });

  it('says what was searched and what to widen when nothing matches', async () => {
    const dir = join(root, 'seed-1');
    const truth = await generateLogs({ dir, seed: 1 });
    // After the 2016 broker's deletions (which carry no name, so any name could be theirs).
    const lastOld = Math.max(...truth.instances.filter((i) => i.generation === 'patroni-broker').map((i) => Date.parse(i.deletedAt!)));
    const since = new Date(lastOld + 60_000);
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'no-such-db',
      since,
    });
    expect(r.candidates).toEqual([]);
    const err = noCandidateError('no-such-db', r.searched);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/no deleted instance named "no-such-db" was found: searched \d file\(s\), [\d.]+ MB between \S+ and now/);
    expect(err.message).toContain(since.toISOString());
    expect(err.hint).toMatch(/--since/);
  });
});

describe('findInstance: the new instance', () => {
  it('finds its containers, their cells, its archive prefix and creation time', async () => {
    const dir = join(root, 'seed-2');
    const truth = await generateLogs({ dir, seed: 2 });
    const live = truth.instances.find((i) => i.deletedAt === null && i.generation === 'dingo-postgresql-broker')!;
    const f = await findInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), instanceGuid: live.guid });
    expect(f.archivePrefix).toBe(live.archivePrefix);
    expect(f.lastWalUploadAt).toBe(live.lastWalUploadAt);
    expect(f.nodes.map((n) => [n.nodeUuid, n.cell]).sort()).toEqual(live.nodes.map((n) => [n.nodeUuid, n.cellIp]).sort());
    expect(Math.abs(Date.parse(f.createdAt!) - Date.parse(live.createdAt))).toBeLessThan(1000);
    expect(f.evidence.some((e) => e.why.includes('runs on cell'))).toBe(true);
    expect(JSON.stringify(f)).not.toMatch(/AWS_SECRET_ACCESS_KEY=[0-9a-f]{40}/);
  });

  it('finds a 2016 container from its etcd lookup and public address lines', async () => {
    const dir = join(root, 'seed-3');
    const truth = await generateLogs({ dir, seed: 3 });
    const old = truth.instances.find((i) => i.generation === 'patroni-broker')!;
    const f = await findInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), instanceGuid: old.guid });
    expect(f.nodes).toEqual(old.nodes.map((n) => ({ nodeUuid: n.nodeUuid, cell: n.cellIp })));
    expect(f.archivePrefix).toBe(old.archivePrefix);
  });
});

describe('clusterdata records (moto S3)', () => {
  let moto: Moto;
  let truth: GeneratedLogs;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket('clusterdata');
    dir = join(root, 'old-only');
    // Nine days, upgrade after three: x and y are deleted by the 2016 broker, which never logs names.
    truth = await generateLogs({ dir, seed: 8, days: 9, names: ['x', 'y', 'z', 'w'] });
    for (const i of truth.instances) {
      await moto.store.put(
        { bucket: 'clusterdata', key: `dingo-postgresql-clusterdata-backup-${i.guid}.json` },
        JSON.stringify({
          service_instance_name: i.name,
          instance_id: i.guid,
          service_id: 's',
          plan_id: 'p',
          organization_guid: i.orgGuid,
          space_guid: i.spaceGuid,
          admin_credentials: { username: 'a', password: `clusterdata-${i.passwords[0]}` },
          superuser_credentials: { username: 's', password: 'x' },
          app_credentials: { username: 'u', password: 'y' },
          allocated_port: 30001,
        }),
      );
    }
  });
  afterAll(async () => {
    await ifStarted(moto)?.stop();
  });

  it('without the records, 2016 deletions have no name: the newest ranks first, low', async () => {
    const [x, y] = truth.instances;
    expect(x!.generation).toBe('patroni-broker');
    expect(y!.generation).toBe('patroni-broker');
    const r = await findDeletedInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), serviceName: 'x' });
    const newestFirst = [x!, y!].sort((a, b) => Date.parse(b.deletedAt!) - Date.parse(a.deletedAt!)).map((i) => i.guid);
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual(newestFirst);
    expect(r.candidates.map((c) => c.confidence)).toEqual(['low', 'low']);
  });

  it('with the records, the name outranks recency and the record is the first evidence', async () => {
    const [x] = truth.instances;
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'x',
      clusterdata: { store: moto.store, bucket: 'clusterdata' },
    });
    expect(r.candidates).toHaveLength(1);
    expectMatchesTruth(r.candidates[0]!, x!);
    expect(r.candidates[0]!.confidence).toBe('high');
    expect(r.candidates[0]!.evidence[0]!.source).toMatch(/^.* s3:\/\/clusterdata\/dingo-postgresql-clusterdata-backup-/);
    expect(JSON.stringify(r)).not.toContain(`clusterdata-${x!.passwords[0]}`);
    expect(r.searched.notes.join('\n')).toMatch(/read 4 clusterdata record/);
  });
});

/** A 2017 broker line: lager JSON after an RFC 3164 prefix. */
function lager(prefixTime: string, ts: string, message: string, data: Record<string, unknown>): string {
  return `${prefixTime} router broker.stdout.log:  {"timestamp":"${ts}","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.${message}","log_level":1,"data":${JSON.stringify(data)}}`;
}

/** A wal-e upload line of a container, naming the instance's archive. */
function upload(prefixTime: string, guid: string): string {
  return `${prefixTime} cell docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  ${guid.slice(0, 6)}-patroni> DETAIL: Uploading "pg_xlog/000000010000000000000001" to "s3://our-postgresql-backups/backups/${guid}/wal/wal_005/000000010000000000000001.lzo".`;
}

const NAMED_GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
/** The 2017 broker logs a service name only at provisioning: NAMED_GUID is important-db from 11:00 on 10 January 2017, */
const NAMED_PROVISIONED = lager('Jan 10 11:00:00', '1484046000.5', 'provision.lookup-service-name.update-recreation-data.saved', {
  'instance-id': NAMED_GUID,
  name: 'important-db',
});
/** and deleted at 12:00. */
const NAMED_DELETED = lager('Jan 10 12:00:00', '1484049600.5', 'deprovision.start', { 'instance-id': NAMED_GUID });

let folders = 0;
/** A folder of log files under the test root, each with its lines and its modification time (undefined: now). */
async function logFolder(files: Record<string, { lines: string[]; mtime?: string }>): Promise<string> {
  const dir = join(root, `hand-written-${++folders}`);
  await mkdir(dir);
  for (const [name, f] of Object.entries(files)) {
    await writeFile(join(dir, name), f.lines.join('\n') + '\n');
    if (f.mtime) await utimes(join(dir, name), new Date(f.mtime), new Date(f.mtime));
  }
  return dir;
}

describe('a name that may have passed to a later instance', () => {
  const LATER = '11111111-2222-4333-8444-555555555555';
  const named = [NAMED_PROVISIONED, upload('Jan 10 11:30:00', NAMED_GUID), NAMED_DELETED];

  async function search(lines: string[]) {
    const dir = await logFolder({ syslog: { lines, mtime: '2017-01-11T00:00:00Z' } });
    return findDeletedInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), serviceName: 'important-db' });
  }

  it('is not settled when an unnamed instance first appears after the named one was deleted, and is deleted later', async () => {
    const r = await search([
      ...named,
      upload('Jan 10 13:00:00', LATER),
      lager('Jan 10 14:00:00', '1484056800.5', 'deprovision.start', { 'instance-id': LATER }),
    ]);
    expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([
      [NAMED_GUID, 'medium'],
      [LATER, 'medium'],
    ]);
    expect(r.candidates[0]!.evidence.map((e) => e.why)).toContainEqual(
      expect.stringMatching(new RegExp(`^${LATER}, whose name the logs searched do not show, appeared after this instance was deleted`)),
    );
    expect(r.candidates[1]!.evidence.map((e) => e.why)).toContainEqual(
      expect.stringMatching(
        /^first seen 2017-01-10T13:00:00.000Z, after .* was deleted, .*if "important-db" was given to it, this is the instance to restore$/,
      ),
    );
  });

  it('stays settled when the unnamed one was already there before the named one was deleted', async () => {
    const r = await search([
      ...named.slice(0, 2),
      upload('Jan 10 11:45:00', LATER),
      named[2]!,
      lager('Jan 10 14:00:00', '1484056800.5', 'deprovision.start', { 'instance-id': LATER }),
    ]);
    expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([
      [NAMED_GUID, 'high'],
      [LATER, 'low'],
    ]);
  });
});

describe('a file without dated lines whose time a copy reset', () => {
  it('takes the year of the dated lines of the other files, so its WAL uploads do not outlive the deletion', async () => {
    const dir = await logFolder({
      'router.log': {
        lines: [NAMED_PROVISIONED, NAMED_DELETED],
        mtime: '2017-01-11T00:00:00Z',
      },
      // grep Uploading > cell-uploads.log, years later: no line of it carries a year, and its time is today's.
      'cell-uploads.log': { lines: [upload('Jan 10 11:50:00', NAMED_GUID)] },
    });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(r.candidates.map((c) => [c.instanceGuid, c.confidence, c.deletedAt, c.lastWalPushAt])).toEqual([
      [NAMED_GUID, 'high', '2017-01-10T12:00:00.500Z', '2017-01-10T11:50:00.000Z'],
    ]);
    expect(r.candidates[0]!.evidence.map((e) => e.why)).toContainEqual(
      expect.stringContaining("(year 2017 from dated lines of other files: this file's time is over a year from them)"),
    );
    expect(r.searched.notes).toContainEqual(expect.stringMatching(/over a year from every dated line/));
  });
});

describe("the new instance's containers before their first WAL upload", () => {
  const NEW = '748a2142-8b75-4f32-8725-df82618a6410';
  const NODE = '21f55998-8ed6-43dd-889c-e2ad5d14605d';
  const OTHER_NODE = 'a3babcf0-1111-4222-8333-944444444444';

  async function instanceOf(lines: string[]) {
    const dir = await logFolder({ syslog: { lines, mtime: '2017-01-01T01:00:00Z' } });
    return findInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), instanceGuid: NEW });
  }

  it('are found by the first six characters of the NAMED_GUID they put before their lines, with or without docker/ before the tag', async () => {
    for (const tag of [`docker/cf-${NODE}`, `cf-${NODE}`, `cf-${NODE}[1234]`]) {
      const r = await instanceOf([
        `Jan  1 00:06:10 d39c31b2-3c1f-4f8e-9a3c-2b1e5c7d9f01 ${tag}: 748a21-startup> public :5432 address 10.58.111.151:32800`,
        `Jan  1 00:06:11 6e1c58d5-0000-4000-8000-000000000001 docker/cf-${OTHER_NODE}: 65abcd-startup> public :5432 address 10.58.111.150:32801`,
      ]);
      expect(r.nodes, tag).toEqual([{ nodeUuid: NODE, cell: '10.58.111.151' }]);
      expect(r.evidence.map((e) => e.why)).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${NEW} begins with 748a21: container cf-${NODE} puts 748a21-, the start of its PATRONI_SCOPE, before its lines`),
        ),
      );
    }
  });

  it('leaves out a container whose environment names another instance that begins alike', async () => {
    const r = await instanceOf([
      `Jan  1 00:06:00 d39c31b2-3c1f-4f8e-9a3c-2b1e5c7d9f01 cf-containers-broker.log: +-> Create options: {"Env"=>["PATRONI_SCOPE=748a2100-0000-4000-8000-000000000009", "NODE_ID=${NODE}"], "Labels"=>{"instance_id"=>"${NODE}"}}`,
      `Jan  1 00:06:10 d39c31b2-3c1f-4f8e-9a3c-2b1e5c7d9f01 docker/cf-${NODE}: 748a21-startup> public :5432 address 10.58.111.151:32800`,
    ]);
    expect(r.nodes).toEqual([]);
  });
});

describe('--since and the names logged at provisioning', () => {
  it('says how to learn a name the unread older files may hold', async () => {
    const dir = await logFolder({
      'syslog.1': {
        lines: [NAMED_PROVISIONED],
        mtime: '2017-01-10T11:05:00Z',
      },
      syslog: {
        lines: [NAMED_DELETED],
        mtime: '2017-01-10T13:00:00Z',
      },
    });
    const since = new Date('2017-01-10T11:30:00Z');
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
      since,
    });
    expect(r.candidates.map((c) => [c.instanceGuid, c.serviceName])).toEqual([[NAMED_GUID, null]]);
    expect(r.searched.notes).toContainEqual(
      'the broker logs a service name only when the instance is provisioned, and 1 file(s) last written before --since were not read: widen --since (or leave it out) to learn the names',
    );
    const all = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(all.candidates.map((c) => [c.instanceGuid, c.serviceName])).toEqual([[NAMED_GUID, 'important-db']]);
    expect(all.searched.notes.join('\n')).not.toContain('widen --since');
  });
});

describe('a cell whose syslog rsyslog forwarded with its default template', () => {
  it('names the tag cut to 32 characters, and what to do, for each container line it could not read', async () => {
    // RSYSLOG_TraditionalForwardFormat: `%syslogtag:1:32%`, so `docker/cf-<uuid>:` loses its end and its colon.
    const cut = upload('Jan 10 11:50:00', NAMED_GUID).replace(/docker\/cf-[0-9a-f-]+:/, (tag) => tag.slice(0, 32));
    const dir = await logFolder({ syslog: { lines: [NAMED_PROVISIONED, cut, NAMED_DELETED], mtime: '2017-01-11T00:00:00Z' } });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(r.candidates[0]!.archivePrefix).toBeNull();
    expect(r.searched.problems).toEqual([
      expect.stringMatching(
        /^unparsedLine: .*syslog:2: its syslog tag "docker\/cf-c8ce128e-7b4c-4fe7-a53" looks cut to 32 characters \(rsyslog's default forwarding templates write %syslogtag:1:32%\), so who wrote it cannot be told: forward with a template that keeps the whole tag/,
      ),
    ]);
  });
});
