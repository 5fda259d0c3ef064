/**
 * A deterministic syslog generator (seeded PRNG): Dingo PostgreSQL instances created and
 * deleted over days by both broker generations, among gorouter, cron and kernel noise, written
 * as rotated files (`syslog`, `syslog.1`, `syslog.2.gz`...). It returns the truth, so tests and
 * the benchmark can check the finder against it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { seededRandom } from './seeded-random.js';

export interface GenerateOptions {
  dir: string;
  seed?: number;
  /** First day of the logs (UTC). Default 2016-12-29, so the files cross a new year. */
  start?: Date;
  days?: number;
  /** Approximate size of all logs, uncompressed; noise fills up to it. Default 2 MB. */
  targetBytes?: number;
  /** Number of files the days are rotated into (newest is `syslog`). Default 4. */
  files?: number;
  /** Rotated files from this index on are gzipped (`syslog.2.gz`). Default 2; Infinity for none. */
  gzipFrom?: number;
  /** Service names to use; some repeat so that one name is deleted more than once. */
  names?: string[];
  bucket?: string;
}

type Generation = 'patroni-broker' | 'dingo-postgresql-broker';

export interface TruthInstance {
  guid: string;
  name: string;
  orgGuid: string;
  spaceGuid: string;
  generation: Generation;
  createdAt: string;
  deletedAt: string | null;
  /** Each node's cell: its IP and its BOSH agent id (what the 2017 broker logs as `cell`). */
  nodes: { nodeUuid: string; cellIp: string; cellAgent: string }[];
  archivePrefix: string;
  lastWalUploadAt: string | null;
  /** Recreated with clone-from, so the broker logged callbacks.restore.done (with passwords). */
  restored: boolean;
  passwords: string[];
}

export interface GeneratedLogs {
  files: string[];
  bytes: number;
  instances: TruthInstance[];
  orgGuid: string;
  spaceGuid: string;
  /**
   * The deleted instance a finder should name first for a service name: the newest deletion of
   * that name in the main space by the 2017 broker, which logs names. Null when only the 2016
   * broker deleted instances of that name (its logs never name them).
   */
  expectedFor(name: string): TruthInstance | null;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ROUTER = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';
const CELLS = [
  { agent: '14ddd22e-719e-4aca-b318-7f291c97fbba', ip: '10.58.111.150', name: '0.cell_z1-partition-cac94a070a81fd8f3931' },
  { agent: '7d0e44a1-51b6-4c3e-9a1f-0c3b3f3c9e21', ip: '10.58.111.151', name: '1.cell_z1-partition-cac94a070a81fd8f3931' },
  { agent: 'c2b6f1d3-8a4e-4f0b-b1c9-5e6d7a8b9c0d', ip: '10.58.112.150', name: '0.cell_z2-partition-cac94a070a81fd8f3931' },
];
const CF_ROUTER = '0.router_z1.cf-6cd776bba8e791d40f64';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += ((this.rnd() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return s.length === n ? s : s.slice(0, n);
  }
  guid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

export function syslogTime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${day} ${hh}:${mm}:${ss}`;
}

function lager(ms: number, source: string, message: string, data: Record<string, unknown>): string {
  const ts = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}${String((ms * 7919) % 1000000).padStart(6, '0')}`;
  return JSON.stringify({ timestamp: ts, source, message: `${source}.${message}`, log_level: 1, data });
}

function waleTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1000 + 154).padStart(6, '0')}-00`;
}

function seg(n: number): string {
  return `00000001${Math.floor(n / 256)
    .toString(16)
    .toUpperCase()
    .padStart(8, '0')}${(n % 256).toString(16).toUpperCase().padStart(8, '0')}`;
}

interface Line {
  t: number;
  text: string;
}

export async function generateLogs(opts: GenerateOptions): Promise<GeneratedLogs> {
  const g = new Gen(seededRandom(opts.seed ?? 1));
  const start = (opts.start ?? new Date(Date.UTC(2016, 11, 29))).getTime();
  const days = opts.days ?? 6;
  const end = start + days * DAY;
  const bucket = opts.bucket ?? 'our-postgresql-backups';
  const orgGuid = g.guid();
  const spaceGuid = g.guid();
  const otherSpace = g.guid();
  const names = opts.names ?? ['important-db', 'orders', 'important-db', 'analytics', 'legacy-db', 'important-db', 'sessions', 'orders'];
  // The broker is upgraded a third of the way in: earlier instances are handled by the 2016 broker.
  const upgradeAt = start + Math.floor(days / 3) * DAY;

  const events: Line[] = [];
  const instances: TruthInstance[] = [];
  let session = 10;
  names.forEach((name, i) => {
    const createdAt = start + (i * (days * DAY * 0.8)) / names.length + g.int(3 * HOUR);
    const generation: Generation = createdAt < upgradeAt ? 'patroni-broker' : 'dingo-postgresql-broker';
    // Every instance but the last two is deleted, a day or two after it was created.
    const deleted = i < names.length - 2;
    // One instance lingers to the last day, so the newest deletion is not the newest instance's.
    const lingers = i === names.length - 4;
    const deletedAt = deleted
      ? lingers
        ? end - 2 * HOUR - g.int(HOUR)
        : Math.min(createdAt + DAY + g.int(DAY), end - 3 * HOUR - g.int(HOUR))
      : null;
    const nodeCount = generation === 'patroni-broker' ? 1 : 1 + g.int(2);
    const inst: TruthInstance = {
      guid: g.guid(),
      name,
      orgGuid,
      spaceGuid: i === 3 ? otherSpace : spaceGuid,
      generation,
      createdAt: new Date(createdAt).toISOString(),
      deletedAt: deletedAt === null ? null : new Date(deletedAt).toISOString(),
      nodes: Array.from({ length: nodeCount }, () => ({ nodeUuid: g.guid(), cellIp: '', cellAgent: '' })),
      archivePrefix: `s3://${bucket}/backups/`,
      lastWalUploadAt: null,
      restored: generation === 'dingo-postgresql-broker' && i % 3 !== 1,
      passwords: [],
    };
    inst.archivePrefix += `${inst.guid}/wal/`;
    instances.push(inst);
    session += 1;
    lifecycle(g, inst, createdAt, deletedAt ?? end, deleted, session, events);
  });
  events.sort((a, b) => a.t - b.t);

  const files = await writeRotated(g, opts, start, end, events);
  return {
    files: files.paths,
    bytes: files.bytes,
    instances,
    orgGuid,
    spaceGuid,
    expectedFor(name: string) {
      const named = instances.filter((x) => x.name === name && x.deletedAt !== null && x.spaceGuid === spaceGuid);
      const pool = named.filter((x) => x.generation === 'dingo-postgresql-broker');
      return pool.sort((a, b) => Date.parse(b.deletedAt!) - Date.parse(a.deletedAt!))[0] ?? null;
    },
  };
}

function lifecycle(g: Gen, inst: TruthInstance, t0: number, until: number, deleted: boolean, session: number, out: Line[]): void {
  const old = inst.generation === 'patroni-broker';
  const src = inst.generation;
  const s = String(session);
  const broker = (t: number, message: string, data: Record<string, unknown>) =>
    out.push({ t, text: `${syslogTime(t)} ${ROUTER} broker.stdout.log:  ${lager(t, src, message, data)}` });
  const scope6 = inst.guid.slice(0, 6);
  const planId = '1545e30e-6dc3-11e5-826a-6c4008a663f0';
  const cells = inst.nodes.map((n, k) => {
    const cell = CELLS[(session + k) % CELLS.length]!;
    n.cellIp = cell.ip;
    n.cellAgent = cell.agent;
    return cell;
  });
  const docker = (t: number, node: number, component: string, text: string) => {
    const prefix = old ? `${component}> ` : `${scope6}-${component}> `;
    out.push({ t, text: `${syslogTime(t)} ${cells[node]!.agent} docker/cf-${inst.nodes[node]!.nodeUuid}:  ${prefix}${text}` });
  };

  if (old) {
    broker(t0, 'cluster.provision.running.success', {
      cluster: {
        instance_id: inst.guid,
        service_id: 'beb5973c-e1b2-11e5-a736-c7c0b526363d',
        plan_id: planId,
        organization_guid: inst.orgGuid,
        space_guid: inst.spaceGuid,
        parameters: {},
        node_count: inst.nodes.length,
        node_size: 20,
        allocated_port: 30000 + g.int(1000),
      },
      'instance-id': inst.guid,
      session: s,
    });
  } else {
    broker(t0, 'provision.start', { 'instance-id': inst.guid, session: s });
    broker(t0 + 5, 'provision.async-begin', { 'instance-id': inst.guid, session: s });
    broker(t0 + 40, 'scheduler.run-cluster', {
      'instance-id': inst.guid,
      'steps-count': inst.nodes.length,
      steps: inst.nodes.map(() => 'AddNode'),
      features: { 'node-count': inst.nodes.length },
      session: s,
    });
  }
  inst.nodes.forEach((n, k) => {
    const t = t0 + 1000 + k * 15_000;
    if (!old) broker(t, 'add-node.perform', { 'instance-id': inst.guid, 'node-uuid': n.nodeUuid, cell: cells[k]!.agent, session: s });
    const cell = cells[k]!;
    const secret = g.hex(40);
    const pw = g.hex(16);
    inst.passwords.push(pw);
    out.push({
      t: t + 200,
      text: `${syslogTime(t + 200)} ${cell.name}.dingo-postgresql-98b09c4b36af74181ee1 cf-containers-broker.log:  I, [${new Date(t + 200).toISOString()} #4242]  INFO -- : Creating Docker container \`cf-${n.nodeUuid}'...`,
    });
    out.push({
      t: t + 201,
      text: `${syslogTime(t + 201)} ${cell.name}.dingo-postgresql-98b09c4b36af74181ee1 cf-containers-broker.log:  I, [${new Date(t + 201).toISOString()} #4242]  INFO -- : +-> Create options: {"name"=>"cf-${n.nodeUuid}", "Hostname"=>"", "Image"=>"cfcommunity/postgresql-patroni:9.5", "Env"=>["ETCD_HOST_PORT=10.58.111.149:4001", "AWS_ACCESS_KEY_ID=AKIA${g.hex(16).toUpperCase()}", "AWS_SECRET_ACCESS_KEY=${secret}", "WAL_S3_BUCKET=our-postgresql-backups", "AWS_REGION=us-east-1", "PATRONI_SCOPE=${inst.guid}", "NODE_ID=${n.nodeUuid}", "APPUSER_PASSWORD=${pw}"], "Labels"=>{"plan_id"=>"${planId}", "instance_id"=>"${n.nodeUuid}"}}`,
    });
    const port = 32768 + g.int(2000);
    if (old) {
      out.push({
        t: t + 3000,
        text: `${syslogTime(t + 3000)} ${cell.agent} docker/cf-${n.nodeUuid}:  looking up public host:port from etcd -> 10.58.111.149:4001/v2/keys/postgresql-patroni/${cell.name}.default.dingo-postgresql-98b09c4b36af74181ee1.microbosh:cf-${n.nodeUuid}:5432 (0)`,
      });
      out.push({ t: t + 3001, text: `${syslogTime(t + 3001)} ${cell.agent} docker/cf-${n.nodeUuid}:  public address ${cell.ip}:${port}` });
    } else {
      docker(t + 3000, k, 'startup', `public :5432 address ${cell.ip}:${port}`);
      docker(t + 3001, k, 'startup', `public :8008 address ${cell.ip}:${port + 1}`);
    }
  });
  if (session % 4 === 3) {
    // A node replaced mid-life: a removal that is not a deletion.
    const tr = t0 + 6 * HOUR;
    const gone = g.guid();
    if (old) broker(tr, 'cluster.remove-node.perform', { backend: cells[0]!.ip, 'instance-id': inst.guid, 'node-uuid': gone, session: s });
    else broker(tr, 'remove-node.perform', { 'instance-id': inst.guid, 'node-uuid': gone, cell: cells[0]!.agent, session: s });
  }
  const leader = 0;
  const tReady = t0 + 60_000;
  docker(tReady, leader, 'patroni', `upload: tmp/sysids/sysid to ${inst.archivePrefix}sysids/sysid`);
  if (!old) {
    broker(tReady + 2000, 'provision.lookup-service-name.update-recreation-data.saved', {
      'instance-id': inst.guid,
      name: inst.name,
      session: s,
    });
    if (inst.restored) {
      broker(tReady + 2500, 'callbacks.restore.done', {
        clusterData: {
          service_instance_name: inst.name,
          instance_id: inst.guid,
          service_id: 'beb5973c-e1b2-11e5-a736-c7c0b526363d',
          plan_id: planId,
          organization_guid: inst.orgGuid,
          space_guid: inst.spaceGuid,
          admin_credentials: { username: 'pgadmin', password: inst.passwords[0] },
          superuser_credentials: { username: 'postgres', password: `su${inst.passwords[0]}` },
          app_credentials: { username: 'appuser', password: `app${inst.passwords[0]}` },
          allocated_port: 30000 + g.int(1000),
        },
        session: s,
      });
    }
  }
  // WAL every archive_timeout (10 min) give or take; a base backup every day at 01:00.
  let n = 1;
  let t = tReady + 10_000;
  const lastWal = deleted ? until - 60_000 : until;
  let lastUpload: number | null = null;
  while (t < lastWal) {
    const key = `${inst.archivePrefix}wal_005/${seg(n)}.lzo`;
    const prefix = inst.archivePrefix.replace(/^s3:\/\/[^/]+\//, '');
    docker(t, leader, 'patroni', 'wal_e.worker.upload INFO     MSG: begin archiving a file');
    docker(t, leader, 'patroni', `        DETAIL: Uploading "pg_xlog/${seg(n)}" to "${key}".`);
    docker(
      t,
      leader,
      'patroni',
      `        STRUCTURED: time=${waleTime(t)} pid=${200 + n} action=push-wal key=${key} prefix=${prefix} seg=${seg(n)} state=begin`,
    );
    const tc = t + 400 + g.int(600);
    docker(tc, leader, 'patroni', 'wal_e.worker.upload INFO     MSG: completed archiving to a file');
    docker(tc, leader, 'patroni', `        DETAIL: Archiving to "${key}" complete at ${100 + g.int(900)}.5KiB/s.`);
    docker(
      tc,
      leader,
      'patroni',
      `        STRUCTURED: time=${waleTime(tc)} pid=${200 + n} action=push-wal key=${key} prefix=${prefix} rate=512.3 seg=${seg(n)} state=complete`,
    );
    lastUpload = tc;
    if (new Date(t).getUTCHours() === 1 && new Date(t).getUTCMinutes() < 12) {
      const base = `${inst.archivePrefix}basebackups_005/base_${seg(n + 1)}_00000040`;
      docker(t + 5000, leader, 'backup', `        DETAIL: Uploading to ${base}/extended_version.txt.`);
      docker(t + 6000, leader, 'backup', `        DETAIL: Uploading to "${base}/tar_partitions/part_00000000.tar.lzo".`);
      n += 1;
    }
    for (let p = 0; p < 4; p++)
      docker(
        t + p * 150_000 + 7,
        leader,
        'patroni',
        `${new Date(t + p * 150_000).toISOString().replace('T', ' ').slice(0, 23)} INFO: Lock owner: cf-${inst.nodes[leader]!.nodeUuid}; I am cf-${inst.nodes[leader]!.nodeUuid}`,
      );
    n += 1;
    t += 10 * 60_000 + g.int(30_000);
  }
  inst.lastWalUploadAt = lastUpload === null ? null : new Date(lastUpload).toISOString();
  if (!deleted) return;
  if (old) {
    inst.nodes.forEach((node, k) => {
      broker(until + k * 2000, 'cluster.remove-node.perform', {
        backend: cells[k]!.ip,
        'instance-id': inst.guid,
        'node-uuid': node.nodeUuid,
        session: s,
      });
    });
  } else {
    // The deprovision session's data names the instance `instanceID` (dingo-postgresql-broker broker/deprovision.go).
    broker(until, 'deprovision.start', { instanceID: inst.guid, session: s });
    broker(until + 500, 'scheduler.stop-cluster', { 'instance-id': inst.guid, session: s });
    inst.nodes.forEach((node, k) => {
      broker(until + 1000 + k * 2000, 'remove-random-node.perform', {
        'instance-id': inst.guid,
        'node-uuid': node.nodeUuid,
        cell: cells[k]!.agent,
        session: s,
      });
    });
    broker(until + 1000 + inst.nodes.length * 2000, 'remove-cluster-assignment', { clusterID: inst.guid, session: s });
  }
  inst.deletedAt = new Date(until + (inst.nodes.length - 1) * 2000 + (old ? 0 : 1000)).toISOString();
  const tr = until + inst.nodes.length * 2000 + 1000;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19) + 'Z';
  const confd = (ms: number, text: string) =>
    out.push({
      t: ms,
      text: `${syslogTime(ms)} ${ROUTER} confd.stderr.log:  ${iso(ms)} 3a977637-afdc-4a51-bb8a-d82aa4f0dcd4 confd[4095]: INFO ${text}`,
    });
  confd(tr, `/var/vcap/sys/run/router/haproxy.cfg has md5sum ${g.hex(32)} should be ${g.hex(32)}`);
  confd(tr, 'Target config /var/vcap/sys/run/router/haproxy.cfg out of sync');
  confd(tr + 1000, 'Target config /var/vcap/sys/run/router/haproxy.cfg has been updated');
}

/** GUIDs the noise draws from: apps and requests recur in real logs, and fresh ones per line would dominate generation time. */
const NOISE_GUIDS = 1 << 16;
let noisePool: string[] | null = null;

function noiseGuid(g: Gen): string {
  noisePool ??= (() => {
    const pool = new Gen(seededRandom(0x5eed));
    return Array.from({ length: NOISE_GUIDS }, () => pool.guid());
  })();
  return noisePool[g.int(NOISE_GUIDS)]!;
}

function noiseLine(g: Gen, t: number): string {
  const r = g.rnd();
  const ts = syslogTime(t);
  if (r < 0.62) {
    const path = g.rnd() < 0.02 ? `/v2/service_instances/${noiseGuid(g)}` : `/v2/apps/${noiseGuid(g)}/stats`;
    return `${ts} ${CF_ROUTER} gorouter.stdout.log:  api.sys.example.com - [${new Date(t).toISOString()}] "GET ${path} HTTP/1.1" 200 0 ${g.int(20000)} "-" "cf/6.21.1+6fd3c9f-2016-08-10 (go1.6.3; amd64 linux)" 10.0.${g.int(255)}.${g.int(255)}:${1024 + g.int(60000)} 10.0.16.${g.int(255)}:9022 x_forwarded_for:"10.0.${g.int(255)}.${g.int(255)}" x_forwarded_proto:"https" vcap_request_id:${noiseGuid(g)} response_time:0.0${g.int(99999)} app_id:${noiseGuid(g)}`;
  }
  if (r < 0.8) {
    const c = g.pick(CELLS);
    return `${ts} ${c.name}.dingo-postgresql-98b09c4b36af74181ee1 kernel: [${g.int(900000)}.${g.int(999999)}] docker0: port ${1 + g.int(9)}(veth${noiseGuid(g).slice(0, 7)}) entered forwarding state`;
  }
  if (r < 0.9)
    return `${ts} ${g.pick(CELLS).name}.dingo-postgresql-98b09c4b36af74181ee1 CRON[${1000 + g.int(30000)}]: (root) CMD (/var/vcap/bosh/bin/logrotate-cron)`;
  if (r < 0.96)
    return `${ts} ${ROUTER} haproxy.stdout.log:  10.0.${g.int(255)}.${g.int(255)}:${1024 + g.int(60000)} [${new Date(t).toISOString()}] ${30000 + g.int(1000)} ${30000 + g.int(1000)}/cell${g.int(3)} 1/0/${g.int(9000)} ${g.int(90000)} -- ${g.int(50)}/${g.int(50)}/${g.int(5)}/0/0 0/0`;
  return `${ts} ${ROUTER} broker.stdout.log:  ${lager(t, 'dingo-postgresql-broker', 'catalog', { session: String(g.int(900)) })}`;
}

async function writeRotated(g: Gen, opts: GenerateOptions, start: number, end: number, events: Line[]) {
  await mkdir(opts.dir, { recursive: true });
  const fileCount = opts.files ?? 4;
  const gzipFrom = opts.gzipFrom ?? 2;
  const target = opts.targetBytes ?? 2_000_000;
  const eventBytes = events.reduce((n, e) => n + e.text.length + 1, 0);
  let sample = 0;
  for (let i = 0; i < 200; i++) sample += noiseLine(g, start).length + 1;
  const noiseCount = Math.max(0, Math.floor((target - eventBytes) / (sample / 200)));
  const step = (end - start) / Math.max(1, noiseCount);
  const sliceMs = (end - start) / fileCount;
  const paths: string[] = [];
  const compressing: Promise<unknown>[] = [];
  let bytes = 0;
  let ei = 0;
  let noiseT = start;
  for (let f = 0; f < fileCount; f++) {
    // Oldest first; the oldest file has the highest rotation number.
    const index = fileCount - 1 - f;
    const plain = join(opts.dir, index === 0 ? 'syslog' : `syslog.${index}`);
    const sliceEnd = f === fileCount - 1 ? Infinity : start + (f + 1) * sliceMs;
    const fh = await open(plain, 'w');
    let buf: string[] = [];
    let size = 0;
    let lastT = start + f * sliceMs;
    const flush = async () => {
      const b = Buffer.from(buf.join(''));
      bytes += b.length;
      await fh.write(b);
      buf = [];
      size = 0;
    };
    for (;;) {
      const nextEvent = ei < events.length ? events[ei]!.t : Infinity;
      const nextNoise = noiseT < end ? noiseT : Infinity;
      const t = Math.min(nextEvent, nextNoise);
      if (t === Infinity || t >= sliceEnd) break;
      let line: string;
      if (nextEvent <= nextNoise) {
        line = events[ei++]!.text;
      } else {
        line = noiseLine(g, Math.floor(noiseT));
        noiseT += step * (0.5 + g.rnd());
      }
      lastT = t;
      buf.push(line, '\n');
      size += line.length + 1;
      if (size > 4_000_000) await flush();
    }
    await flush();
    await fh.close();
    const mtime = new Date(lastT + 1000);
    if (index >= gzipFrom) {
      const gz = `${plain}.gz`;
      // Compressed on the thread pool while the next file is generated.
      compressing.push(
        pipeline(createReadStream(plain, { highWaterMark: 1 << 20 }), createGzip({ level: 6 }), createWriteStream(gz))
          .then(() => rm(plain))
          .then(() => utimes(gz, mtime, mtime)),
      );
      paths.unshift(gz);
    } else {
      await utimes(plain, mtime, mtime);
      paths.unshift(plain);
    }
  }
  await Promise.all(compressing);
  return { paths, bytes };
}
