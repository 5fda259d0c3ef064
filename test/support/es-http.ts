/**
 * A small Elasticsearch on a loopback port, over real HTTP, for tests that run the real
 * `@elastic/elasticsearch` 9.x client (in this process or in a child process). It answers what
 * the log search sends, the way Elasticsearch 9 does:
 *
 * - `POST /{index}/_pit?keep_alive=2m` opens a point in time: `{"id": ...}`; the documents are
 *   taken from the test's function then (a point in time is a snapshot), so every search the CLI
 *   makes (each opens its own) sees lines appended since;
 * - `POST /_search` with `pit`, `size`, `sort`, `query`, `search_after`, `track_total_hits`:
 *   evaluates `bool` (`filter`, `must`, `should`, `must_not`, `minimum_should_match`), `range` on
 *   `@timestamp`, `multi_match` of type `phrase` and `match_phrase` (a phrase is a case-insensitive
 *   substring of one of the fields), `match_all`; sorts by `@timestamp` (sort value: epoch ms)
 *   then `_shard_doc` (the document's position), pages with `search_after`;
 * - `DELETE /_pit` with `{"id": ...}` closes it: `{"succeeded": true, "num_freed": 1}`.
 *
 * Anything else it does not understand is answered 400 with an Elasticsearch error body, so a
 * change in what the client sends fails loudly instead of being half-answered. With an API key
 * (or a user) configured, a request without the right `Authorization` header is answered 401.
 * Every response carries `x-elastic-product: Elasticsearch`: the 9.x client refuses a 2xx
 * response without it (@elastic/transport lib/middleware/ProductCheck.js).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One document: `_source` as indexed; `_id` defaults to its position. */
export interface EsDocument {
  _id?: string;
  _source: Record<string, unknown>;
}

export interface EsHttpOptions {
  /** The one index the server holds, e.g. `logs-platform`; patterns like `logs-*` resolve to it. */
  index: string;
  /** The index's documents, read again whenever a point in time is opened. */
  documents: () => EsDocument[];
  /** Require `Authorization: ApiKey <apiKey>`. */
  apiKey?: string;
  /** Require basic auth with these (accepted besides the API key when both are set). */
  basic?: { username: string; password: string };
}

/** What the server was asked and what it answered. */
export interface EsServedRequest {
  method: string;
  /** The path without the query string, e.g. `/logs-*\/_pit`. */
  path: string;
  params: Record<string, string>;
  /** The Authorization header as received (this process only: tests compare it, never print it). */
  authorization: string | undefined;
  authenticated: boolean;
  contentType: string | undefined;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
  status: number;
  /** The JSON answered (undefined for HEAD). */
  response: unknown;
  /** For a point in time opened: how many documents it holds. */
  documents?: number;
  /** For searches: how many hits the page held. */
  hits?: number;
}

export interface EsHttp {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  index: string;
  requests: EsServedRequest[];
  /** Ids of the points in time opened and not yet closed (or expired). */
  openPits(): string[];
  stop(): Promise<void>;
}

/** The largest `size` Elasticsearch allows by default (index.max_result_window). */
const MAX_RESULT_WINDOW = 10_000;
/** A missing `@timestamp` sorts last (Elasticsearch uses Long.MAX_VALUE; kept JSON-exact here). */
const MISSING_LAST = Number.MAX_SAFE_INTEGER;
const MISSING_FIRST = Number.MIN_SAFE_INTEGER;

class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

const badRequest = (reason: string, type = 'parsing_exception'): EsError => new EsError(400, type, reason);

interface Snapshot {
  indices: string[];
  docs: { _index: string; _id: string; _source: Record<string, unknown>; shardDoc: number }[];
  expiresAt: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function keepAliveMs(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h|d)$/.exec(v) : null;
  if (!m) throw badRequest(`failed to parse setting [keep_alive] with value [${String(v)}] as a time value`, 'illegal_argument_exception');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function field(src: Json, name: string): unknown {
  if (name in src) return src[name];
  return name.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), src);
}

function dateMs(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

const normal = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ');

function phraseIn(value: unknown, phrase: string): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => typeof v === 'string' && normal(v).includes(normal(phrase)));
}

/** Whether a document's source matches a query (Query DSL subset); throws 400 on what it does not know. */
function matches(query: unknown, src: Json): boolean {
  if (!isObject(query) || Object.keys(query).length !== 1)
    throw badRequest(`a query must be an object with one key, got ${JSON.stringify(query)}`);
  const [kind, spec] = Object.entries(query)[0]!;
  switch (kind) {
    case 'match_all':
      return true;
    case 'bool': {
      if (!isObject(spec)) throw badRequest('[bool] malformed query');
      for (const k of Object.keys(spec)) {
        if (!['filter', 'must', 'should', 'must_not', 'minimum_should_match', 'boost'].includes(k))
          throw badRequest(`[bool] query does not support [${k}]`);
      }
      const must = [...asList(spec.filter), ...asList(spec.must)];
      const should = asList(spec.should);
      const msm = spec.minimum_should_match;
      const minimum = msm === undefined ? (should.length > 0 && must.length === 0 ? 1 : 0) : Number(msm);
      if (!Number.isInteger(minimum)) throw badRequest(`[bool] minimum_should_match [${String(msm)}] is not supported here`);
      if (!must.every((q) => matches(q, src))) return false;
      if (asList(spec.must_not).some((q) => matches(q, src))) return false;
      return should.filter((q) => matches(q, src)).length >= minimum;
    }
    case 'range': {
      if (!isObject(spec) || Object.keys(spec).length !== 1) throw badRequest('[range] query malformed, no start_object after query name');
      const [name, bounds] = Object.entries(spec)[0]!;
      if (name !== '@timestamp' || !isObject(bounds)) throw badRequest(`[range] on [${name}]: this server ranges only over @timestamp`);
      const t = dateMs(field(src, name));
      if (t === null) return false;
      for (const [op, raw] of Object.entries(bounds)) {
        if (!['gte', 'gt', 'lte', 'lt'].includes(op)) throw badRequest(`[range] query does not support [${op}] here`);
        const b = dateMs(raw);
        if (b === null) throw badRequest(`failed to parse date field [${String(raw)}]`);
        if ((op === 'gte' && !(t >= b)) || (op === 'gt' && !(t > b)) || (op === 'lte' && !(t <= b)) || (op === 'lt' && !(t < b)))
          return false;
      }
      return true;
    }
    case 'multi_match': {
      if (!isObject(spec) || typeof spec.query !== 'string') throw badRequest('[multi_match] requires query value');
      if (spec.type !== 'phrase') throw badRequest(`[multi_match] of type [${String(spec.type)}]: this server matches phrases only`);
      const fields = spec.fields;
      if (
        !Array.isArray(fields) ||
        fields.length === 0 ||
        !fields.every((f) => typeof f === 'string' && !f.includes('*') && !f.includes('^'))
      ) {
        throw badRequest('[multi_match] needs plain field names here');
      }
      return fields.some((f) => phraseIn(field(src, f as string), spec.query as string));
    }
    case 'match_phrase': {
      if (!isObject(spec) || Object.keys(spec).length !== 1) throw badRequest("[match_phrase] query doesn't support multiple fields");
      const [name, q] = Object.entries(spec)[0]!;
      const phrase = isObject(q) ? q.query : q;
      if (typeof phrase !== 'string') throw badRequest('[match_phrase] requires query value');
      return phraseIn(field(src, name), phrase);
    }
    default:
      throw badRequest(`unknown query [${kind}]`);
  }
}

interface SortKey {
  field: '@timestamp' | '_shard_doc';
  desc: boolean;
}

function sortKeys(sort: unknown): SortKey[] {
  const keys = asList(sort).map((s): SortKey => {
    const [name, spec] =
      typeof s === 'string' ? [s, 'asc'] : isObject(s) && Object.keys(s).length === 1 ? Object.entries(s)[0]! : [null, null];
    const order = isObject(spec) ? spec.order : spec;
    if (order !== 'asc' && order !== 'desc') throw badRequest(`[sort] malformed: ${JSON.stringify(s)}`);
    if (name === '_doc' || name === '_shard_doc') return { field: '_shard_doc', desc: order === 'desc' };
    if (name === '@timestamp') return { field: '@timestamp', desc: order === 'desc' };
    throw badRequest(`[sort] on [${String(name)}]: this server sorts only by @timestamp and _shard_doc`);
  });
  // With a point in time, Elasticsearch adds the _shard_doc tiebreaker when the sort lacks one.
  if (!keys.some((k) => k.field === '_shard_doc')) keys.push({ field: '_shard_doc', desc: false });
  return keys;
}

function sortValues(doc: Snapshot['docs'][number], keys: SortKey[]): number[] {
  return keys.map((k) => {
    if (k.field === '_shard_doc') return doc.shardDoc;
    return dateMs(doc._source['@timestamp']) ?? (k.desc ? MISSING_FIRST : MISSING_LAST);
  });
}

function compare(a: number[], b: number[], keys: SortKey[]): number {
  for (let i = 0; i < keys.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return keys[i]!.desc ? -d : d;
  }
  return 0;
}

const SEARCH_KEYS = new Set(['pit', 'size', 'from', 'sort', 'query', 'search_after', 'track_total_hits', '_source']);

export async function startEsHttp(opts: EsHttpOptions): Promise<EsHttp> {
  const pits = new Map<string, Snapshot>();
  const requests: EsServedRequest[] = [];
  const shards = { total: 1, successful: 1, skipped: 0, failed: 0 };

  function authenticated(header: string | undefined): boolean {
    if (!opts.apiKey && !opts.basic) return true;
    if (opts.apiKey && header === `ApiKey ${opts.apiKey}`) return true;
    if (opts.basic && header === `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}`) return true;
    return false;
  }

  function resolveIndices(expression: string): string[] {
    const out = new Set<string>();
    for (const pattern of expression.split(',')) {
      if (pattern.includes('*')) {
        const re = new RegExp(
          `^${pattern
            .split('*')
            .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        );
        if (re.test(opts.index)) out.add(opts.index);
      } else if (pattern === opts.index) out.add(opts.index);
      else throw new EsError(404, 'index_not_found_exception', `no such index [${pattern}]`);
    }
    return [...out];
  }

  function live(id: unknown): Snapshot {
    const pit = typeof id === 'string' ? pits.get(id) : undefined;
    if (pit && pit.expiresAt < Date.now()) pits.delete(id as string);
    if (!pit || pit.expiresAt < Date.now())
      throw new EsError(404, 'search_context_missing_exception', `No search context found for id [${String(id)}]`);
    return pit;
  }

  function openPit(expression: string, params: Record<string, string>, served: EsServedRequest): Json {
    if (params.keep_alive === undefined) throw badRequest('[keep_alive] is required', 'action_request_validation_exception');
    const ttl = keepAliveMs(params.keep_alive);
    const indices = resolveIndices(expression);
    const docs = indices.length
      ? opts.documents().map((d, i) => ({ _index: opts.index, _id: d._id ?? String(i), _source: d._source, shardDoc: i }))
      : [];
    const id = randomBytes(48).toString('base64url');
    pits.set(id, { indices, docs, expiresAt: Date.now() + ttl });
    served.documents = docs.length;
    return { id, _shards: shards };
  }

  function search(body: unknown, served: EsServedRequest): Json {
    if (!isObject(body)) throw badRequest('a search through a point in time needs a body', 'action_request_validation_exception');
    for (const k of Object.keys(body)) if (!SEARCH_KEYS.has(k)) throw badRequest(`Unknown key for a VALUE_STRING in [${k}].`);
    const pitSpec = body.pit;
    if (!isObject(pitSpec))
      throw badRequest('this server searches only through a point in time ([pit] is missing)', 'action_request_validation_exception');
    const pit = live(pitSpec.id);
    if (pitSpec.keep_alive !== undefined) pit.expiresAt = Date.now() + keepAliveMs(pitSpec.keep_alive);
    const size = body.size === undefined ? 10 : Number(body.size);
    if (!Number.isInteger(size) || size < 0 || size > MAX_RESULT_WINDOW) {
      throw badRequest(
        `Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${String(body.size)}]`,
        'illegal_argument_exception',
      );
    }
    if (body.from !== undefined && Number(body.from) !== 0)
      throw badRequest('[from] is not supported here: page with search_after', 'illegal_argument_exception');
    const keys = sortKeys(body.sort ?? [{ _shard_doc: 'asc' }]);
    let after: number[] | null = null;
    if (body.search_after !== undefined) {
      if (!Array.isArray(body.search_after) || body.search_after.length !== keys.length) {
        throw badRequest(
          `search_after has ${asList(body.search_after).length} value(s) but sort has ${keys.length}.`,
          'illegal_argument_exception',
        );
      }
      after = body.search_after.map((v, i) => {
        const n = keys[i]!.field === '@timestamp' ? dateMs(v) : typeof v === 'number' ? v : null;
        if (n === null)
          throw badRequest(`search_after value [${String(v)}] does not fit sort field [${keys[i]!.field}]`, 'illegal_argument_exception');
        return n;
      });
    }
    const query = body.query ?? { match_all: {} };
    const matching = pit.docs.filter((d) => matches(query, d._source)).map((d) => ({ d, sort: sortValues(d, keys) }));
    matching.sort((a, b) => compare(a.sort, b.sort, keys));
    const page = (after ? matching.filter((m) => compare(m.sort, after, keys) > 0) : matching).slice(0, size);
    served.hits = page.length;
    const total = body.track_total_hits === false ? {} : { total: { value: matching.length, relation: 'eq' } };
    return {
      pit_id: pitSpec.id,
      took: 1,
      timed_out: false,
      _shards: shards,
      hits: {
        ...total,
        max_score: null,
        hits: page.map(({ d, sort }) => ({ _index: d._index, _id: d._id, _score: null, _source: d._source, sort })),
      },
    };
  }

  function closePit(body: unknown): { status: number; body: Json } {
    const ids = isObject(body) ? asList(body.id) : [];
    if (ids.length === 0) throw badRequest('[id] of the point in time is required', 'action_request_validation_exception');
    let freed = 0;
    for (const id of ids) if (typeof id === 'string' && pits.delete(id)) freed += 1;
    return { status: freed > 0 ? 200 : 404, body: { succeeded: true, num_freed: freed } };
  }

  function route(
    req: IncomingMessage,
    path: string,
    params: Record<string, string>,
    body: unknown,
    served: EsServedRequest,
  ): { status: number; body?: Json } {
    const method = req.method ?? 'GET';
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      return {
        status: 200,
        body: {
          name: 'es-http',
          cluster_name: 'test',
          version: { number: '9.1.0', build_flavor: 'default' },
          tagline: 'You Know, for Search',
        },
      };
    }
    const pit = /^\/([^/_][^/]*)\/_pit$/.exec(path);
    if (pit && method === 'POST') return { status: 200, body: openPit(decodeURIComponent(pit[1]!), params, served) };
    if (path === '/_search' && (method === 'POST' || method === 'GET')) return { status: 200, body: search(body, served) };
    if (/^\/[^/_][^/]*\/_search$/.test(path) && (method === 'POST' || method === 'GET')) {
      if (isObject(body) && body.pit !== undefined)
        throw badRequest(
          'Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.',
          'action_request_validation_exception',
        );
      throw badRequest('this server searches only through a point in time', 'action_request_validation_exception');
    }
    if (path === '/_pit' && method === 'DELETE') return closePit(body);
    throw badRequest(`no handler found for uri [${path}] and method [${method}]`, 'illegal_argument_exception');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw: Buffer = Buffer.concat(chunks);
    const authorization = req.headers.authorization;
    const served: EsServedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      params,
      authorization,
      authenticated: authenticated(authorization),
      contentType: req.headers['content-type'],
      body: undefined,
      status: 0,
      response: undefined,
    };
    requests.push(served);
    let status: number;
    let out: Json | undefined;
    const headers: Record<string, string> = { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' };
    try {
      if (/gzip|deflate/.test(req.headers['content-encoding'] ?? '')) raw = gunzipSync(raw);
      if (raw.length) {
        const type = served.contentType ?? '';
        if (!type.includes('application/json') && !type.includes('application/vnd.elasticsearch+json')) {
          throw new EsError(406, 'media_type_header_exception', `Content-Type header [${type}] is not supported`);
        }
        try {
          served.body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          throw badRequest(`request body is not JSON: ${(err as Error).message}`, 'x_content_parse_exception');
        }
      }
      if (!served.authenticated) {
        headers['www-authenticate'] = 'ApiKey, Basic realm="security", charset="UTF-8"';
        throw new EsError(
          401,
          'security_exception',
          authorization
            ? `unable to authenticate with provided credentials for REST request [${url.pathname}]`
            : `missing authentication credentials for REST request [${url.pathname}]`,
        );
      }
      ({ status, body: out } = route(req, url.pathname, params, served.body, served));
    } catch (err) {
      const e = err instanceof EsError ? err : new EsError(500, 'exception', (err as Error).message);
      status = e.status;
      const cause = { type: e.type, reason: e.message };
      out = { error: { root_cause: [cause], ...cause }, status: e.status };
    }
    served.status = status;
    served.response = out;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' || out === undefined ? undefined : JSON.stringify(out));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'exception', reason: String(err) }, status: 500 }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    index: opts.index,
    requests,
    openPits: () => [...pits.entries()].filter(([, p]) => p.expiresAt >= Date.now()).map(([id]) => id),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
