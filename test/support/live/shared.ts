/**
 * What the live end-to-end test's simulated Dingo pieces (the broker hook behind the fake
 * `cf`, the cell's fake docker) and the test itself agree on: the incident's names, the
 * archives' contents, the broker's configuration, and a synchronous HTTP client for code
 * that runs inside synchronous simulator hooks.
 *
 * Kept free of test-runner imports: it is bundled into the fake `cf`'s hooks and
 * into the cell's fake docker daemon (esbuild).
 */
import { createHash, createHmac } from 'node:crypto';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { utcStamp } from '../../../src/core/utc-stamp.js';
import type { Holdings } from '../../../src/rehearsal/cell-world.js';
import { lzopOf, tarPartitionOf, walHeadOf, walSegmentOf } from './old-archive.js';

/**
 * The time one whole live run of dingo-recover may take in a test: some 60 cf calls, each a node
 * process, which on a loaded 2-core machine takes well past the default hook time. A run past it
 * is a hang, and fails its test.
 */
export const ONE_RUN_MS = 300_000;

/** The seed incident (fixtures/seed-003): the deleted instance, its cell and bucket. */
export const OLD_GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
export const OLD_SYSID = '6262209914512345093';
export const BUCKET = 'our-postgresql-backups';
export const CELL_IP = '10.58.111.150';
/** The cell's syslog host name (its BOSH VM id), as in the seed syslog. */
export const CELL_HOST = '14ddd22e-719e-4aca-b318-7f291c97fbba';
export const OTHER_TENANT_PREFIX = 'backups/d2c4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e5f/wal/';
/** Another tenant's archive in the same bucket (relative keys): never to be touched. */
export const OTHER_TENANT_ARCHIVE: [string, string][] = [
  ['sysids/sysid', '6262210099812345678\n'],
  ['wal_005/000000010000000000000001.lzo', 'other tenant wal '.repeat(50)],
];

/** The roles (and passwords) of the deleted database: what a restore from its archive brings back. */
export const OLD_ROLES: Record<string, string> = {
  'dingo-admin': 'old-admin-pw-live-Xq81',
  pgsuper: 'old-superuser-pw-live-Lm42',
  appuser: 'old-app-pw-live-Tz93',
};

export const archivePrefix = (guid: string): string => `backups/${guid}/wal/`;

/** A recovery's steps for one instance, from creating the new one to the old database served in it. */
export const RESTORE_STEPS = [
  'create-service',
  'stop-container',
  'quarantine-new-archive',
  'copy-old-archive',
  'reset-etcd',
  'flush-data',
  'start-container',
  'wait-restored',
];
/** Those of them the operator confirms: each stops, moves aside or empties something. */
export const CONFIRMED_STEPS = ['stop-container', 'quarantine-new-archive', 'reset-etcd', 'flush-data'];

/** The base backup every archive of these cases holds (LATEST: its WAL starts in segment …02). */
export const BASE = 'basebackups_005/base_000000010000000000000002_00000040';
const PG95 = 'PostgreSQL 9.5.1 on x86_64-pc-linux-gnu, compiled by gcc (Debian 4.9.2-10) 4.9.2, 64-bit';

function sentinel(offset: string, expanded: number): string {
  return `{"wal_segment_backup_stop": "000000010000000000000002", "wal_segment_offset_backup_stop": "${offset}", "expanded_size_bytes": ${expanded}, "spec": {"base_prefix": "/data/postgres0", "tablespaces": []}}`;
}

/** An archive's objects: keys relative to the prefix, and their bodies. */
export type ArchiveObjects = [string, string | Buffer][];

const oldArchives = new Map<string, ArchiveObjects>();

/** How an old archive is made beyond its sysid and mark (see oldArchive). */
interface OldArchiveShape {
  wholeSegments?: boolean;
  /** START TIME and STOP TIME of its base backup, UTC, as PostgreSQL writes them (`2016-03-16 18:51:04`). */
  backupTimes?: [string, string];
}

/**
 * A deleted instance's archive, wal-e layout, whose WAL, backup label and base backup are real lzop
 * files (old-archive.ts): a drill fetches and decompresses them before it restores. `mark` goes into
 * every body, so that two instances' archives differ object by object (the seed instance's has
 * none). With `wholeSegments` each WAL segment is the whole 16 MiB one a 9.5 server archives (its
 * long page header, the records, zeros; some 75 KB lzop'd), as the bundled rehearsal carries it;
 * without, a segment is its long page header and records alone (no zeros), which keeps what a live
 * case streams to its cell small; the header names the segment's system either way.
 * `backupTimes` are the base backup's START and STOP TIME in its label (a scenario's, to agree with
 * its objects' LastModified). Made once per process, on first use.
 */
export function oldArchive(
  sysid = OLD_SYSID,
  mark = '',
  { wholeSegments = false, backupTimes = ['2016-03-16 18:51:04', '2016-03-16 18:51:05'] }: OldArchiveShape = {},
): ArchiveObjects {
  const key = `${sysid}/${mark}/${wholeSegments}/${backupTimes.join('/')}`;
  const made = oldArchives.get(key);
  if (made) return made;
  const wal = (n: number, times: number): [string, Buffer] => {
    const name = `00000001000000000000000${n}`;
    const records = `old wal ${n} ${mark}`.repeat(times);
    return [`wal_005/${name}.lzo`, lzopOf(wholeSegments ? walSegmentOf(name, sysid, records) : walHeadOf(name, sysid, records))];
  };
  const label = [
    'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)',
    'STOP WAL LOCATION: 0/2000248 (file 000000010000000000000002)',
    'CHECKPOINT LOCATION: 0/2000060',
    'BACKUP METHOD: streamed',
    'BACKUP FROM: master',
    `START TIME: ${backupTimes[0]} UTC`,
    `LABEL: freeze_start_${backupTimes[0].replace(' ', 'T')}.120311+00:00`,
    `STOP TIME: ${backupTimes[1]} UTC`,
    '',
  ].join('\n');
  const archive: ArchiveObjects = [
    ['sysids/sysid', `${sysid}\n`],
    wal(1, 300),
    [`${BASE}/extended_version.txt`, PG95],
    [
      `${BASE}/tar_partitions/part_00000000.tar.lzo`,
      tarPartitionOf({
        PG_VERSION: '9.5\n',
        // The data folder's label is the history file's without the STOP lines (xlog.c do_pg_start_backup).
        backup_label: label.replace(/^STOP .*\n/gm, ''),
        'base/1/PG_VERSION': '9.5\n',
        'base/16385/16386': `old base backup ${mark}`.repeat(2000),
      }),
    ],
    wal(2, 310),
    ['wal_005/000000010000000000000002.00000028.backup.lzo', lzopOf(label)],
    wal(3, 900),
    wal(4, 1200),
    wal(5, 700),
    // Last: wal-e writes the sentinel once the base backup is complete.
    [`${BASE}_backup_stop_sentinel.json`, sentinel('00000248', 21063168)],
  ];
  oldArchives.set(key, archive);
  return archive;
}

/** A deleted instance the platform still has the archive of, and what restoring it brings back. */
export interface OldInstance {
  guid: string;
  /** The name it had in cf (the name a recovery recreates it under). */
  name: string;
  /** Its database's system identifier, in its archive's sysids/sysid. */
  sysid: string;
  /** The roles and passwords of its database: what a restore from its archive holds. */
  roles: Record<string, string>;
  /** Its databases' tables and rows: what a drill of its archive counts. */
  holds: Holdings;
  /** Its archive at archivePrefix(guid) (relative keys), made on first use. */
  readonly archive: ArchiveObjects;
  /** How many nodes it ran, as its logs show (the broker's provision record): what the recovered instance must grow back to. */
  nodes: number;
}

/** The seed incident's deleted instance. */
export const SEED_DELETED: OldInstance = {
  guid: OLD_GUID,
  name: 'important-db',
  sysid: OLD_SYSID,
  roles: OLD_ROLES,
  holds: { postgres: { tables: 4, rows: 18230 } },
  get archive() {
    return oldArchive();
  },
  // The seed's provision record: the March 2016 broker gave it one node, whatever its plan.
  nodes: 1,
};

/**
 * Another deleted instance named `name` (that ran `nodes` nodes), everything derived from
 * the name (the same name gives the same instance): its GUID, a sysid of its own, its own
 * passwords, an archive whose objects all differ from the seed instance's.
 */
export function deletedInstance(name: string, nodes = 2): OldInstance {
  const h = createHash('sha256').update(`deleted/${name}`).digest('hex');
  const guid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-9${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const sysid = `62622099${String(parseInt(h.slice(32, 42), 16))
    .padStart(11, '0')
    .slice(-11)}`;
  const tag = h.slice(42, 50);
  return {
    guid,
    name,
    sysid,
    roles: { 'dingo-admin': `old-admin-pw-${tag}-Qa71`, pgsuper: `old-superuser-pw-${tag}-Wd38`, appuser: `old-app-pw-${tag}-Ux64` },
    holds: { postgres: { tables: 2, rows: parseInt(tag.slice(0, 3), 16) + 1 } },
    get archive() {
      return oldArchive(sysid, `of ${name} `);
    },
    nodes,
  };
}

/** What a freshly created instance archives within seconds: its own sysid, a base backup, WAL. */
export function newArchive(guid: string, sysid: string): [string, string][] {
  return [
    ['sysids/sysid', `${sysid}\n`],
    ['wal_005/000000010000000000000001.lzo', `new wal 1 of ${guid} `.repeat(100)],
    [`${BASE}/extended_version.txt`, PG95],
    [`${BASE}/tar_partitions/part_00000000.tar.lzo`, `new base backup of ${guid} `.repeat(400)],
    ['wal_005/000000010000000000000002.lzo', `new wal 2 of ${guid} `.repeat(120)],
    ['wal_005/000000010000000000000002.00000028.backup.lzo', 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n'],
    [`${BASE}_backup_stop_sentinel.json`, sentinel('000000f8', 21047872)],
  ];
}

/** S3's ETag of a single-part object. */
export const etagOf = (body: string | Buffer): string => createHash('md5').update(body).digest('hex');

export interface HttpRequest {
  method: string;
  url: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * The thread of httpSync: node:http, not fetch, whose loading (undici) costs five times a thread's
 * start. It answers each batch on its port, then wakes the caller waiting on the shared word.
 */
const HTTP_THREAD = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { port, signal } = workerData;
const send = (r) => new Promise((resolve, reject) => {
  const req = http.request(r.url, { method: r.method, headers: r.headers }, (res) => {
    const chunks = [];
    res.on('data', (d) => chunks.push(d));
    res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    res.on('error', reject);
  });
  req.on('error', reject);
  req.end(r.body);
});
parentPort.on('message', async (requests) => {
  try {
    const out = [];
    for (const r of requests) out.push(await send(r));
    port.postMessage({ out });
  } catch (err) {
    port.postMessage({ error: String(err && err.stack || err) });
  }
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

/** Runs HTTP requests one after the other, in this process: for a caller that can wait (a case's set-up). */
export async function httpAsync(requests: HttpRequest[]): Promise<HttpResponse[]> {
  const out: HttpResponse[] = [];
  for (const r of requests) {
    const res = await fetch(r.url, {
      method: r.method,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.body !== undefined ? { body: r.body } : {}),
    });
    out.push({ status: res.status, body: await res.text() });
  }
  return out;
}

/** The process's HTTP thread, made on the first httpSync: it does not keep the process alive. */
let thread: { worker: Worker; port: MessagePort; signal: Int32Array } | undefined;

/**
 * Runs HTTP requests one after the other in a thread of this process and waits for them: the
 * simulator hooks that need etcd and S3 are synchronous.
 */
export function httpSync(requests: HttpRequest[]): HttpResponse[] {
  if (!thread) {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(HTTP_THREAD, { eval: true, workerData: { port: port2, signal }, transferList: [port2] });
    worker.unref();
    port1.unref();
    thread = { worker, port: port1, signal };
  }
  const { worker, port, signal } = thread;
  Atomics.store(signal, 0, 0);
  worker.postMessage(requests);
  if (Atomics.wait(signal, 0, 0, 30_000) === 'timed-out') {
    // Its late answer must not be taken for the next batch's: the next call makes a thread anew.
    void worker.terminate();
    thread = undefined;
    throw new Error('HTTP requests got no answer within 30 s');
  }
  const answer = receiveMessageOnPort(port)?.message as { out?: HttpResponse[]; error?: string } | undefined;
  if (!answer?.out) throw new Error(`HTTP requests failed: ${answer?.error ?? 'no answer'}`);
  return answer.out;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * An S3 request on a text object, path-style, signed with AWS Signature Version 4 as a client
 * with these credentials would sign it (a container with its AWS_* environment, the operator).
 */
export function s3Request(
  method: 'GET' | 'PUT',
  endpoint: string,
  bucket: string,
  key: string,
  creds: S3Credentials,
  body?: string | Buffer,
): HttpRequest {
  const url = new URL(`${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
  const amzDate = utcStamp(new Date());
  const day = amzDate.slice(0, 8);
  const payload = sha256(body ?? '');
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': payload, 'x-amz-date': amzDate };
  if (body !== undefined) headers['content-type'] = 'application/octet-stream';
  const signed = Object.keys(headers).sort();
  const canonical = [method, url.pathname, '', ...signed.map((h) => `${h}:${headers[h]}`), '', signed.join(';'), payload].join('\n');
  const scope = `${day}/${creds.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key4 = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), creds.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key4).update(toSign).digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    method,
    url: url.href,
    ...(body !== undefined ? { body } : {}),
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    },
  };
}

/** An etcd v2 key write. */
export function etcdPut(etcdUrl: string, key: string, value: string): HttpRequest {
  return {
    method: 'PUT',
    url: `${etcdUrl}/v2/keys${key}`,
    body: new URLSearchParams({ value }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mar 17 18:05:20`, as the syslog relay writes it (UTC here). */
export function rfc3164(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}
