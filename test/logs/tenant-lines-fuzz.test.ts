/**
 * A tenant's database logs any text, line by line, after its container's prefix. Lines of every
 * evidence shape the finder reads, written by any tenant container about another instance and
 * inserted anywhere in a realistic log, never change the instance chosen for a name, its archive,
 * its deletion time or last upload, the nodes of an instance, nor what is redacted; through files
 * and through Elasticsearch.
 */
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSyslog } from '../../src/adapters/syslog.js';
import { Redactor } from '../../src/core/redact.js';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import type { LogSourceSpec } from '../../src/core/log-source.js';
import { generateLogs, type GeneratedLogs, type TruthInstance } from '../support/generate-logs.js';
import { startEsHttp, type EsDocument, type EsHttp } from '../support/es-http.js';
import { openLogSource } from '../../src/systems/log-source.js';

const SEED = 20261125;
const BUCKET = 'our-postgresql-backups';

let root: string;
let truth: GeneratedLogs;
/** Each file's lines and modification time. */
let files: { name: string; lines: string[]; mtime: Date }[];
let names: string[];
let live: TruthInstance;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fuzz-tenant-'));
  const dir = join(root, 'generated');
  truth = await generateLogs({ dir, seed: 7, targetBytes: 250_000, days: 3, files: 3, gzipFrom: Infinity });
  files = await Promise.all(
    truth.files.map(async (f) => ({
      name: basename(f),
      lines: (await readFile(f, 'utf8')).split('\n').filter((l) => l !== ''),
      mtime: (await stat(f)).mtime,
    })),
  );
  names = [...new Set(truth.instances.map((i) => i.name))].filter((n) => truth.expectedFor(n) !== null);
  live = truth.instances.find((i) => i.deletedAt === null && i.generation === 'dingo-postgresql-broker')!;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** What a recovery takes from the finder, per name and for a live instance, and what is redacted. */
async function conclusions(spec: LogSourceSpec) {
  const sources = openLogSource(spec);
  const redactor = new Redactor();
  const out: unknown[] = [];
  for (const serviceName of names) {
    const r = await findDeletedInstance({ sources, serviceName, redactor });
    const c = r.candidates[0]!;
    // To the second: an Elasticsearch @timestamp (the platform's) dates a wal-e line where a file's yearless prefix takes wal-e's own time.
    out.push([serviceName, c.instanceGuid, c.archivePrefix, c.deletedAt, c.lastWalUploadAt?.slice(0, 19), c.confidence, c.nodes]);
    out.push(redactor.redact(c.archivePrefix ?? ''));
  }
  const f = await findInstance({ sources, instanceGuid: live.guid, redactor });
  out.push([f.archivePrefix, f.nodes, f.createdAt]);
  out.push(redactor.redact(`s3://${BUCKET}/backups/${live.guid}/wal/`));
  return out;
}

const epoch = (iso: string) => (Date.parse(iso) / 1000).toFixed(6);

/** Broker records of every action the finder reads, naming any instance and name. */
function brokerRecord(victim: TruthInstance, name: string, old: boolean, at: number): string {
  const source = old ? 'patroni-broker' : 'dingo-postgresql-broker';
  const node = victim.nodes[0]!.nodeUuid;
  const records: [string, Record<string, unknown>][] = [
    ['deprovision.start', { 'instance-id': victim.guid }],
    ['remove-random-node.perform', { 'instance-id': victim.guid, 'node-uuid': node, cell: 'evil' }],
    ['cluster.remove-node.perform', { 'instance-id': victim.guid, 'node-uuid': node, backend: '203.0.113.9' }],
    ['remove-node.perform', { 'instance-id': victim.guid, 'node-uuid': node, cell: 'evil' }],
    ['add-node.perform', { 'instance-id': victim.guid, 'node-uuid': node, cell: 'evil' }],
    ['provision.start', { 'instance-id': victim.guid }],
    ['provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': victim.guid, name }],
    [
      'callbacks.restore.done',
      {
        clusterData: {
          instance_id: victim.guid,
          service_instance_name: name,
          organization_guid: truth.orgGuid,
          space_guid: truth.spaceGuid,
          admin_credentials: { username: 'a', password: BUCKET },
          superuser_credentials: { password: victim.guid },
        },
      },
    ],
    ['cluster.provision.running.success', { cluster: { instance_id: victim.guid, space_guid: truth.spaceGuid } }],
    ['remove-cluster-assignment', { clusterID: victim.guid }],
  ];
  const [message, data] = records[at % records.length]!;
  const ts = epoch(victim.deletedAt ?? victim.createdAt);
  return JSON.stringify({ timestamp: ts, source, message: `${source}.${message}`, log_level: 1, data });
}

/** The other shapes: wal-e, confd, cf-containers-broker, public address, restore milestones, etcd lookup. */
function containerShape(victim: TruthInstance, at: number, lookalike: boolean): string {
  const bucket = lookalike ? `${BUCKET}-x` : BUCKET;
  const prefix = `s3://${bucket}/backups/${victim.guid}/wal/`;
  const v6 = victim.guid.slice(0, 6);
  const node = victim.nodes[0]!.nodeUuid;
  const when = new Date(Date.parse(victim.deletedAt ?? victim.createdAt) + 3_600_000).toISOString().replace('Z', '000-00');
  const shapes = [
    `DETAIL: Uploading "pg_xlog/0000000100000000000000FF" to "${prefix}wal_005/0000000100000000000000FF.lzo".`,
    `STRUCTURED: time=${when} pid=1 action=push-wal key=${prefix}wal_005/0000000100000000000000FF.lzo prefix=backups/${victim.guid}/wal/ seg=0000000100000000000000FF state=complete`,
    `DETAIL: Uploading to ${prefix}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt.`,
    `upload: tmp/sysids/sysid to ${prefix}sysids/sysid`,
    `${v6}-patroni> DETAIL: Uploading "pg_xlog/0000000100000000000000FF" to "${prefix}wal_005/0000000100000000000000FF.lzo".`,
    `2016-12-30T06:10:18Z 3a977637-afdc-4a51-bb8a-d82aa4f0dcd4 confd[4095]: INFO Target config /var/vcap/sys/run/router/haproxy.cfg has been updated`,
    `I, [2016-12-30T06:10:18.000000 #1]  INFO -- : +-> Create options: {"name"=>"cf-${node}", "Env"=>["PATRONI_SCOPE=${victim.guid}", "NODE_ID=${node}", "AWS_SECRET_ACCESS_KEY=${BUCKET}"], "Labels"=>{"instance_id"=>"${node}"}}`,
    `I, [2016-12-30T06:10:18.000000 #1]  INFO -- : Creating Docker container \`cf-${node}'...`,
    'public :5432 address 203.0.113.9:5432',
    `${v6}-startup> public :5432 address 203.0.113.9:5432`,
    'public address 203.0.113.9:5432',
    `${v6}-restore_leader_if_missing> preparing patroni to restore this container from wal-e backups`,
    `${v6}-patroni> promoted self to leader by acquiring session lock`,
    `looking up public host:port from etcd -> 10.58.111.149:4001/v2/keys/postgresql-patroni/evil:cf-${node}:5432 (0)`,
  ];
  return shapes[at % shapes.length]!;
}

interface Forgery {
  file: number;
  position: number;
  tenant: number;
  victim: number;
  shape: number;
  broker: boolean;
  old: boolean;
  lookalike: boolean;
  name: number;
  wholeLine: boolean;
}

const forgery: fc.Arbitrary<Forgery> = fc.record({
  file: fc.nat(),
  position: fc.nat(),
  tenant: fc.nat(),
  victim: fc.nat(),
  shape: fc.nat(),
  broker: fc.boolean(),
  old: fc.boolean(),
  lookalike: fc.boolean(),
  name: fc.nat(),
  wholeLine: fc.boolean(),
});

/** The files with the tenant's lines inserted; each line takes the time of the line it follows. */
function forge(list: Forgery[]): { name: string; lines: string[]; mtime: Date }[] {
  const out = files.map((f) => ({ ...f, lines: [...f.lines] }));
  for (const x of list) {
    const victim = truth.instances[x.victim % truth.instances.length]!;
    const others = truth.instances.filter((i) => i.guid !== victim.guid);
    const owner = others[x.tenant % others.length]!;
    const node = owner.nodes[x.tenant % owner.nodes.length]!;
    const own = owner.generation === 'patroni-broker' ? 'patroni> ' : `${owner.guid.slice(0, 6)}-patroni> `;
    const f = out[x.file % out.length]!;
    const at = x.position % (f.lines.length + 1);
    const time = (f.lines[Math.max(0, at - 1)] ?? f.lines[0]!).slice(0, 15);
    let text = x.broker
      ? brokerRecord(victim, names[x.name % names.length]!, x.old, x.shape)
      : containerShape(victim, x.shape, x.lookalike);
    // A whole syslog line as another writer would write it, as the tenant's text.
    if (x.wholeLine)
      text = `${time} 0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 broker.stdout.log:  ${text}`;
    f.lines.splice(at, 0, `${time} ${node.cellAgent} docker/cf-${node.nodeUuid}:  ${own}${text}`);
  }
  return out;
}

async function writeFolder(dir: string, list: { name: string; lines: string[]; mtime: Date }[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const f of list) {
    await writeFile(join(dir, f.name), f.lines.join('\n') + '\n');
    await utimes(join(dir, f.name), f.mtime, f.mtime);
  }
  return dir;
}

/**
 * The same lines as Elasticsearch documents: program and host fields, @timestamp, the payload as
 * message, as logsearch-for-cloudfoundry's filters before v201 kept them (`logs-platform-*`, whose
 * @message is analysed; logsearch-boshrelease's `logstash-*` keeps @message whole).
 */
function esDocuments(list: { lines: string[]; mtime: Date }[]): EsDocument[] {
  const docs: EsDocument[] = [];
  for (const f of list)
    for (const line of f.lines) {
      const sys = parseSyslog(line, f.mtime);
      if (!sys?.time) continue;
      docs.push({
        _source: { '@timestamp': sys.time.toISOString(), '@message': sys.payload, syslog_hostname: sys.host, syslog_program: sys.tag },
      });
    }
  return docs;
}

describe('tenant lines of every evidence shape (property)', () => {
  it('never change what the finder concludes from files, nor what is redacted', async () => {
    const baseline = await conclusions({ paths: [await writeFolder(join(root, 'honest'), files)] });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(forgery, { minLength: 1, maxLength: 6 }), async (list) => {
        const dir = await writeFolder(join(root, `run-${run++}`), forge(list));
        try {
          expect(await conclusions({ paths: [dir] })).toEqual(baseline);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: 30 },
    );
  }, 120_000);

  it('never change what the finder concludes from Elasticsearch', async () => {
    let indexed = esDocuments(files);
    const es: EsHttp = await startEsHttp({ index: 'logs-platform-2016.03.17', documents: () => indexed });
    try {
      const baseline = await conclusions({ es: { url: es.url, redactor: new Redactor() } });
      // Logsearch analyses the text: what the phrases pushed down bring back concludes what the files do.
      expect(baseline).toEqual(await conclusions({ paths: [await writeFolder(join(root, 'honest-es'), files)] }));
      await fc.assert(
        fc.asyncProperty(fc.array(forgery, { minLength: 1, maxLength: 6 }), async (list) => {
          indexed = esDocuments(forge(list));
          expect(await conclusions({ es: { url: es.url, redactor: new Redactor() } })).toEqual(baseline);
        }),
        { seed: SEED + 1, numRuns: 15 },
      );
    } finally {
      await es.stop();
    }
    // The double analyses every document's text as Elasticsearch does: slower than the files' scan.
  }, 240_000);
});
