/**
 * The benchmarks' S3 endpoint, run as a child process on loopback (`startBenchS3`).
 *
 * memory mode: a minimal S3-compatible server over an in-memory map, serving
 * requests concurrently, each answered no sooner than `latencyMs` after it
 * arrived (a simulation of in-region S3's per-request latency). It implements
 * exactly the calls the swap, the inspection and aws-cli's `s3 ls`, `s3 rm` and
 * `s3 sync` make: CreateBucket, HeadBucket, ListObjectsV2, HeadObject,
 * GetObject (with Range), GetObjectTagging, PutObject, CopyObject,
 * CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload, DeleteObject and DeleteObjects. Anything else is
 * answered 501 and counted under "unimplemented".
 *
 * proxy mode: forwards every request to another endpoint (moto) unchanged.
 *
 * Both count requests by S3 operation: GET /__bench/counts returns them and
 * POST /__bench/reset sets them to zero. For seeding only (never timed), memory
 * mode takes POST /__bench/latency?ms=N and POST /__bench/seed?bucket=B with a
 * JSON array of [key, text] pairs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

export type Counts = Record<string, number>;

export interface BenchS3 {
  endpoint: string;
  /** CPU seconds the server process has used so far. */
  cpuSeconds(): number;
  counts(): Promise<Counts>;
  reset(): Promise<void>;
  /** Memory mode: the per-request latency from now on. */
  setLatency(ms: number): Promise<void>;
  /** Memory mode: objects written directly, without a request each (seeding only). */
  seed(bucket: string, entries: Array<[string, string]>): Promise<void>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the server in a child process: `{ latencyMs }` for memory mode, `{ upstream }` for a counting proxy. */
export async function startBenchS3(mode: { latencyMs: number } | { upstream: string }): Promise<BenchS3> {
  const args = 'upstream' in mode ? ['--upstream', mode.upstream] : ['--latency', String(mode.latencyMs)];
  // Its standard input stays open while the benchmark lives: the server exits when it closes.
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => {
      reject(new Error(`bench S3 server exited ${code}`));
    });
    child.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    counts: async () => (await (await fetch(`${endpoint}/__bench/counts`)).json()) as Counts,
    reset: async () => void (await fetch(`${endpoint}/__bench/reset`, { method: 'POST' })).arrayBuffer(),
    setLatency: async (ms) => void (await fetch(`${endpoint}/__bench/latency?ms=${ms}`, { method: 'POST' })).arrayBuffer(),
    async seed(bucket, entries) {
      for (let i = 0; i < entries.length; i += 20_000) {
        const res = await fetch(`${endpoint}/__bench/seed?bucket=${encodeURIComponent(bucket)}`, {
          method: 'POST',
          body: JSON.stringify(entries.slice(i, i + 20_000)),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`seeding ${bucket} failed: HTTP ${res.status}`);
      }
    },
    async createBucket(name) {
      const res = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`could not create bucket ${name}: HTTP ${res.status}`);
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The S3 operation a path-style request is. */
export function operation(method: string, path: string, query: URLSearchParams, headers: http.IncomingHttpHeaders): string {
  const rest = path.replace(/^\/+/, '');
  const hasKey = rest.includes('/') && rest.slice(rest.indexOf('/') + 1) !== '';
  const copy = headers['x-amz-copy-source'] !== undefined;
  if (!hasKey) {
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'GET') return 'ListObjects';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    return `${method} bucket`;
  }
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET') return query.has('tagging') ? 'GetObjectTagging' : 'GetObject';
  if (method === 'PUT' && query.has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart';
  if (method === 'PUT') return copy ? 'CopyObject' : 'PutObject';
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE') return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  return `${method} object`;
}

interface Obj {
  chunks: Buffer[];
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
}

class Bucket {
  readonly objects = new Map<string, Obj>();
  /** The keys in order; kept sorted on every insert and delete. */
  readonly keys: string[] = [];

  private index(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(key: string, o: Obj): void {
    if (!this.objects.has(key)) {
      const i = this.index(key);
      if (i === this.keys.length) this.keys.push(key);
      else this.keys.splice(i, 0, key);
    }
    this.objects.set(key, o);
  }

  delete(key: string): void {
    if (!this.objects.delete(key)) return;
    this.keys.splice(this.index(key), 1);
  }

  /** Index of the first key after `after` (or at/after `prefix`). */
  from(prefix: string, after: string | null): number {
    const start = after !== null && after >= prefix ? after : prefix;
    let i = this.index(start);
    if (after !== null && after >= prefix && this.keys[i] === after) i++;
    return i;
  }
}

interface Upload {
  bucket: string;
  key: string;
  parts: Map<number, { chunks: Buffer[]; size: number; etag: string }>;
  contentType: string;
  metadata: Record<string, string>;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (s: string): string =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'quot'
          ? '"'
          : e === 'apos'
            ? "'"
            : e === 'amp'
              ? '&'
              : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

function md5(chunks: Buffer[]): string {
  const h = createHash('md5');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

/** Bytes [start, end] of an object's chunks, without copying them. */
function slice(chunks: Buffer[], start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const c of chunks) {
    const lo = Math.max(start, at);
    const hi = Math.min(end + 1, at + c.length);
    if (lo < hi) out.push(c.subarray(lo - at, hi - at));
    at += c.length;
    if (at > end) break;
  }
  return out;
}

/** The body of an `aws-chunked` upload (the SDK's streaming checksum encoding). */
function decodeAwsChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!size) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

class MemoryS3 {
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, Upload>();
  private nextUpload = 1;

  seed(bucketName: string, entries: Array<[string, string]>): boolean {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return false;
    for (const [key, text] of entries) {
      const data = Buffer.from(text);
      bucket.set(key, {
        chunks: [data],
        size: data.length,
        etag: md5([data]),
        lastModified: new Date(),
        contentType: 'binary/octet-stream',
        metadata: {},
      });
    }
    return true;
  }

  handle(
    op: string,
    bucketName: string,
    key: string,
    query: URLSearchParams,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    if (op === 'CreateBucket') {
      if (!this.buckets.has(bucketName)) this.buckets.set(bucketName, new Bucket());
      send(res, 200, '');
      return;
    }
    const bucket = this.buckets.get(bucketName);
    if (!bucket) {
      error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      return;
    }
    switch (op) {
      case 'HeadBucket': {
        send(res, 200, '');
        return;
      }
      case 'ListObjectsV2': {
        this.list(bucket, bucketName, query, res);
        return;
      }
      case 'DeleteObjects': {
        const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(body.toString('utf8'));
        const keys = [...body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => xmlUnescape(m[1]!));
        for (const k of keys) bucket.delete(k);
        const deleted = quiet ? '' : keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('');
        send(res, 200, `${XML_HEAD}<DeleteResult ${NS}>${deleted}</DeleteResult>`);
        return;
      }
      case 'HeadObject':
      case 'GetObject': {
        const o = bucket.objects.get(key);
        if (!o) {
          if (op === 'HeadObject') send(res, 404, '');
          else error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          return;
        }
        const headers: http.OutgoingHttpHeaders = {
          ETag: `"${o.etag}"`,
          'Last-Modified': o.lastModified.toUTCString(),
          'Content-Type': o.contentType,
          'Accept-Ranges': 'bytes',
        };
        for (const [k, v] of Object.entries(o.metadata)) headers[`x-amz-meta-${k}`] = v;
        let chunks = o.chunks;
        let status = 200;
        let length = o.size;
        const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
        if (op === 'GetObject' && range && o.size > 0) {
          const start = range[1] ? Number(range[1]) : Math.max(0, o.size - Number(range[2]));
          const end = range[1] && range[2] ? Math.min(Number(range[2]), o.size - 1) : o.size - 1;
          chunks = slice(o.chunks, start, end);
          status = 206;
          length = end - start + 1;
          headers['Content-Range'] = `bytes ${start}-${end}/${o.size}`;
        }
        headers['Content-Length'] = length;
        res.writeHead(status, headers);
        if (op === 'HeadObject') return void res.end();
        for (const c of chunks) res.write(c);
        return void res.end();
      }
      case 'GetObjectTagging':
        if (!bucket.objects.has(key)) {
          error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          return;
        }
        {
          send(res, 200, `${XML_HEAD}<Tagging ${NS}><TagSet></TagSet></Tagging>`);
          return;
        }
      case 'PutObject': {
        const data = isAwsChunked(req) ? decodeAwsChunked(body) : body;
        const o: Obj = {
          chunks: [data],
          size: data.length,
          etag: md5([data]),
          lastModified: new Date(),
          contentType: req.headers['content-type'] ?? 'binary/octet-stream',
          metadata: metadataOf(req),
        };
        bucket.set(key, o);
        res.writeHead(200, { ETag: `"${o.etag}"`, 'Content-Length': 0 });
        return void res.end();
      }
      case 'CopyObject': {
        const src = this.source(req);
        if (!src) {
          error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          return;
        }
        const replace = String(req.headers['x-amz-metadata-directive'] ?? '').toUpperCase() === 'REPLACE';
        // Same bytes, same MD5; a copy made in one request is single-part.
        const etag = src.etag.includes('-') ? md5(src.chunks) : src.etag;
        const o: Obj = {
          ...src,
          etag,
          lastModified: new Date(),
          ...(replace ? { contentType: req.headers['content-type'] ?? src.contentType, metadata: metadataOf(req) } : {}),
        };
        bucket.set(key, o);
        send(
          res,
          200,
          `${XML_HEAD}<CopyObjectResult ${NS}><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>&quot;${o.etag}&quot;</ETag></CopyObjectResult>`,
        );
        return;
      }
      case 'CreateMultipartUpload': {
        const id = `upload-${this.nextUpload++}`;
        this.uploads.set(id, {
          bucket: bucketName,
          key,
          parts: new Map(),
          contentType: req.headers['content-type'] ?? 'binary/octet-stream',
          metadata: metadataOf(req),
        });
        send(
          res,
          200,
          `${XML_HEAD}<InitiateMultipartUploadResult ${NS}><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        );
        return;
      }
      case 'UploadPart':
      case 'UploadPartCopy': {
        const up = this.uploads.get(query.get('uploadId') ?? '');
        if (!up) {
          error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
          return;
        }
        const n = Number(query.get('partNumber'));
        let chunks: Buffer[];
        let etag: string;
        if (op === 'UploadPart') {
          const data = isAwsChunked(req) ? decodeAwsChunked(body) : body;
          chunks = [data];
          etag = md5(chunks);
        } else {
          const src = this.source(req);
          if (!src) {
            error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
            return;
          }
          const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['x-amz-copy-source-range'] ?? ''));
          const start = range ? Number(range[1]) : 0;
          const end = range ? Number(range[2]) : src.size - 1;
          chunks = slice(src.chunks, start, end);
          // Opaque but content-bound, without hashing megabytes on every part.
          etag = createHash('md5').update(`${src.etag}:${start}-${end}`).digest('hex');
        }
        up.parts.set(n, { chunks, size: chunks.reduce((s, c) => s + c.length, 0), etag });
        if (op === 'UploadPart') {
          res.writeHead(200, { ETag: `"${etag}"`, 'Content-Length': 0 });
          return void res.end();
        }
        send(
          res,
          200,
          `${XML_HEAD}<CopyPartResult ${NS}><LastModified>${new Date().toISOString()}</LastModified><ETag>&quot;${etag}&quot;</ETag></CopyPartResult>`,
        );
        return;
      }
      case 'CompleteMultipartUpload': {
        const id = query.get('uploadId') ?? '';
        const up = this.uploads.get(id);
        if (!up) {
          error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
          return;
        }
        const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        const parts = numbers.map((n) => up.parts.get(n));
        if (parts.some((p) => !p)) {
          error(res, 400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          return;
        }
        const h = createHash('md5');
        for (const p of parts) h.update(Buffer.from(p!.etag, 'hex'));
        const chunks = parts.flatMap((p) => p!.chunks);
        const o: Obj = {
          chunks,
          size: parts.reduce((s, p) => s + p!.size, 0),
          etag: `${h.digest('hex')}-${parts.length}`,
          lastModified: new Date(),
          contentType: up.contentType,
          metadata: up.metadata,
        };
        bucket.set(key, o);
        this.uploads.delete(id);
        send(
          res,
          200,
          `${XML_HEAD}<CompleteMultipartUploadResult ${NS}><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>&quot;${o.etag}&quot;</ETag></CompleteMultipartUploadResult>`,
        );
        return;
      }
      case 'AbortMultipartUpload':
        this.uploads.delete(query.get('uploadId') ?? '');
        {
          send(res, 204, '');
          return;
        }
      case 'DeleteObject':
        bucket.delete(key);
        {
          send(res, 204, '');
          return;
        }
      default: {
        error(res, 501, 'NotImplemented', `${op} is not implemented by the bench S3 server`);
        return;
      }
    }
  }

  private source(req: IncomingMessage): Obj | undefined {
    const raw = decodeURIComponent(String(req.headers['x-amz-copy-source']).split('?')[0]!).replace(/^\/+/, '');
    const slash = raw.indexOf('/');
    return this.buckets.get(raw.slice(0, slash))?.objects.get(raw.slice(slash + 1));
  }

  private list(bucket: Bucket, name: string, query: URLSearchParams, res: ServerResponse): void {
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') || null;
    const maxKeys = Math.min(1000, Number(query.get('max-keys') ?? 1000));
    const token = query.get('continuation-token');
    const startAfter = query.get('start-after');
    const url = query.get('encoding-type') === 'url';
    const enc = (s: string): string => (url ? encodeURIComponent(s).replace(/%2F/g, '/') : xmlEscape(s));
    const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
    const contents: string[] = [];
    const common: string[] = [];
    let last: string | null = null;
    let truncated = false;
    for (let i = bucket.from(prefix, after); i < bucket.keys.length; i++) {
      const k = bucket.keys[i]!;
      if (!k.startsWith(prefix)) break;
      if (contents.length + common.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (delimiter) {
        const cut = k.indexOf(delimiter, prefix.length);
        if (cut >= 0) {
          const cp = k.slice(0, cut + delimiter.length);
          common.push(cp);
          // Skip every key under this common prefix.
          while (i + 1 < bucket.keys.length && bucket.keys[i + 1]!.startsWith(cp)) i++;
          last = bucket.keys[i]!;
          continue;
        }
      }
      const o = bucket.objects.get(k)!;
      contents.push(
        `<Contents><Key>${enc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>&quot;${o.etag}&quot;</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      last = k;
    }
    const parts = [
      `<Name>${xmlEscape(name)}</Name><Prefix>${enc(prefix)}</Prefix><KeyCount>${contents.length + common.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`,
      url ? '<EncodingType>url</EncodingType>' : '',
      delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
      token !== null ? `<ContinuationToken>${token}</ContinuationToken>` : '',
      startAfter !== null && token === null ? `<StartAfter>${enc(startAfter)}</StartAfter>` : '',
      truncated && last !== null ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>` : '',
      contents.join(''),
      common.map((c) => `<CommonPrefixes><Prefix>${enc(c)}</Prefix></CommonPrefixes>`).join(''),
    ];
    send(res, 200, `${XML_HEAD}<ListBucketResult ${NS}>${parts.join('')}</ListBucketResult>`);
  }
}

function isAwsChunked(req: IncomingMessage): boolean {
  return (
    (req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')
  );
}

function metadataOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amz-meta-')) out[k.slice(11)] = String(v);
  return out;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, `${XML_HEAD}<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function serve(opts: { latencyMs: number } | { upstream: string }): void {
  let counts: Counts = {};
  let latencyMs = 'latencyMs' in opts ? opts.latencyMs : 0;
  const s3 = 'latencyMs' in opts ? new MemoryS3() : null;
  const upstream = 'upstream' in opts ? new URL(opts.upstream) : null;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://bench');
    if (url.pathname === '/__bench/counts') {
      send(res, 200, JSON.stringify(counts));
      return;
    }
    if (url.pathname === '/__bench/reset') {
      counts = {};
      send(res, 200, '{}');
      return;
    }
    if (url.pathname === '/__bench/latency') {
      latencyMs = Number(url.searchParams.get('ms') ?? 0);
      send(res, 200, '{}');
      return;
    }
    if (url.pathname === '/__bench/seed' && s3) {
      void readBody(req).then((body) => {
        send(
          res,
          s3.seed(url.searchParams.get('bucket') ?? '', JSON.parse(body.toString('utf8')) as Array<[string, string]>) ? 200 : 404,
          '{}',
        );
      });
      return;
    }
    const op = operation(req.method ?? 'GET', url.pathname, url.searchParams, req.headers);
    if (upstream) {
      counts[op] = (counts[op] ?? 0) + 1;
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      req.pipe(out);
      return;
    }
    void readBody(req).then((body) => {
      const path = url.pathname.replace(/^\/+/, '');
      const slash = path.indexOf('/');
      const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
      const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
      const known = !/ bucket$| object$|^ListObjects$/.test(op);
      counts[known ? op : 'unimplemented'] = (counts[known ? op : 'unimplemented'] ?? 0) + 1;
      if (!known) process.stderr.write(`bench S3 server: unimplemented ${req.method} ${req.url}\n`);
      const wait = latencyMs - (performance.now() - started);
      const answer = (): void => {
        s3!.handle(op, bucket, key, url.searchParams, req, body, res);
      };
      if (wait > 0) setTimeout(answer, wait);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const upstream = arg('--upstream');
  serve(upstream ? { upstream } : { latencyMs: Number(arg('--latency') ?? 0) });
}
