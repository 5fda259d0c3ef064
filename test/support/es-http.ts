/**
 * A small Elasticsearch on a loopback port, over real HTTP, answering what the log search sends
 * the way a given release does (`es-http-versions.ts`: Elasticsearch 5.6 to 9.1, OpenSearch 1
 * and 2; 9.1 unless told), for tests in this process or a child process:
 *
 * - `GET /` gives the release's own body; `x-elastic-product: Elasticsearch` is on every answer
 *   from 7.14 (the official 9.x client refuses a server without it);
 * - `POST /{index}/_pit?keep_alive=2m` opens a point in time (7.10 and later; before, no handler
 *   answers it: 400 on 6.x, 405 elsewhere), `POST /_search` with `pit` and `search_after` pages
 *   through it, `DELETE /_pit` closes it; `_shard_doc` (the implicit tiebreaker) from 7.12;
 * - `POST /{index}/_search?scroll=2m` opens a scroll, `POST /_search/scroll` reads on,
 *   `DELETE /_search/scroll` clears it;
 * - hits carry `_type` before 8, `hits.total` is a number before 7, else `{ value, relation }`;
 * - errors have Elasticsearch's shapes: `{"error": {"root_cause", "type", "reason"}, "status"}`,
 *   a sort a shard cannot run as a `search_phase_execution_exception`, a path without a handler
 *   as `{"error": "no handler found for uri [...] and method [...]"}`;
 * - a `compatible-with=N` media type is refused unless the release accepts version N.
 *
 * The queries are evaluated as `es-http-query.ts` says; anything else is answered 400, so a
 * change in what the client sends fails loudly. With an API key (or a user) configured, a request
 * without the right `Authorization` header is answered 401.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { badRequest, EsError, isObject, ShardFailure, type Json, type SnapshotDoc } from './es-http-query.js';
import { SearchContexts } from './es-http-search.js';
import { flavour as named, type EsFlavour } from './es-http-versions.js';
import { listenOnLoopback, stopHttp } from './loopback.js';
import { GENERATIONS, generationOf, type GenerationName } from './es-http-mappings.js';

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
  /** The release simulated; 9.1 when absent. */
  flavour?: EsFlavour;
  /** Answer `GET /` with 403, as to a role that may only read the log indices. */
  rootForbidden?: boolean;
  /** Answer every search as a busy cluster does: this many of the index's 5 shards rejected (200 OK, `_shards.failed`). */
  failedShards?: number;
  /** Answer every search with `timed_out: true` (the hits found in time). */
  timedOut?: boolean;
  /**
   * Answer a request before the server does (a gateway's 502, a busy node's 429 with Retry-After):
   * the answer to give, or undefined to let the server answer.
   */
  intercept?: (r: EsServedRequest) => { status: number; headers?: Record<string, string>; body?: Json } | undefined;
  /** How the index maps the fields; by the index's name when absent (`logstash-*`: logsearch-boshrelease, else logsearch-for-cloudfoundry). */
  generation?: GenerationName;
  /** Serve https with this key and certificate. */
  tls?: { key: Buffer; cert: Buffer };
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
  /** `http://127.0.0.1:PORT` (https with `tls`) */
  url: string;
  port: number;
  index: string;
  requests: EsServedRequest[];
  flavour: EsFlavour;
  /** Ids of the points in time opened and not yet closed (or expired). */
  openPits(): string[];
  /** Ids of the scrolls opened and not yet cleared (or expired). */
  openScrolls(): string[];
  /** How many connections clients opened. */
  connections(): number;
  stop(): Promise<void>;
}

/** An answer whose body is a sentence, as Elasticsearch gives for a path it has no handler for. */
class PlainError extends EsError {
  constructor(
    status: number,
    readonly body: Json,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, 'plain', String(body.error));
  }
}

function errorBody(e: EsError, index: string): Json {
  if (e instanceof PlainError) return e.body;
  const cause = { type: e.type, reason: e.message };
  if (e instanceof ShardFailure) {
    const rootCause = { ...cause, index_uuid: 'dbVDqZk7Qk6fo1b2C3d4eA', index };
    return {
      error: {
        root_cause: [rootCause],
        type: 'search_phase_execution_exception',
        reason: 'all shards failed',
        phase: 'query',
        grouped: true,
        failed_shards: [{ shard: 0, index, node: 'x3hYeNlVTd2sj9dSVlDvHw', reason: rootCause }],
      },
      status: e.status,
    };
  }
  return { error: { root_cause: [cause], ...cause }, status: e.status };
}

export async function startEsHttp(opts: EsHttpOptions): Promise<EsHttp> {
  const flavour = opts.flavour ?? named('9.1');
  const major = Number(/^(\d+)/.exec(String((flavour.root.version as Json).number))![1]);
  const opensearch = (flavour.root.version as Json).distribution === 'opensearch';
  const requests: EsServedRequest[] = [];
  const contexts = new SearchContexts(flavour, snapshot, { failedShards: opts.failedShards ?? 0, timedOut: opts.timedOut ?? false });

  function authenticated(header: string | undefined): boolean {
    if (!opts.apiKey && !opts.basic) return true;
    if (opts.apiKey && header === `ApiKey ${opts.apiKey}`) return true;
    if (opts.basic && header === `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}`) return true;
    return false;
  }

  /** The documents an index expression names, and how many indices it named (0 or 1: the server holds one). */
  function snapshot(expression: string): { docs: SnapshotDoc[]; indices: number } {
    let named = false;
    for (const pattern of expression.split(',')) {
      if (pattern.includes('*')) {
        const re = new RegExp(
          `^${pattern
            .split('*')
            .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        );
        if (re.test(opts.index)) named = true;
      } else if (pattern === opts.index) named = true;
      else throw new EsError(404, 'index_not_found_exception', `no such index [${pattern}]`);
    }
    const generation = opts.generation ? GENERATIONS[opts.generation] : generationOf(opts.index);
    const docs = named
      ? opts.documents().map((d, i) => ({ _index: opts.index, _id: d._id ?? String(i), _source: d._source, shardDoc: i, generation }))
      : [];
    return { docs, indices: named ? 1 : 0 };
  }

  /** What a release answers a path it has no handler for. */
  function noHandler(uri: string, method: string): PlainError {
    return new PlainError(400, { error: `no handler found for uri [${uri}] and method [${method}]` });
  }

  /** `POST /{index}/_pit` where there is no point in time: the typed route refuses its empty body, OpenSearch has no such route. */
  function noPit(uri: string, method: string): EsError {
    if (flavour.noHandler === 'typed-route') return badRequest('request body is required', 'parse_exception');
    const allowed = 'GET,PUT,DELETE,HEAD';
    return new PlainError(
      405,
      { error: `Incorrect HTTP method for uri [${uri}] and method [${method}], allowed: [${allowed.split(',').join(', ')}]`, status: 405 },
      { allow: allowed },
    );
  }

  /** A `compatible-with=N` media type the release does not take (8.x takes 7 and 8, not 9). */
  function checkMediaTypes(req: IncomingMessage): void {
    for (const [header, value] of [
      ['Accept', req.headers.accept],
      ['Content-Type', req.headers['content-type']],
    ] as const) {
      const v = value ?? '';
      const m = /compatible-with=(\d+)/.exec(v);
      if (!m) continue;
      const asked = Number(m[1]);
      if (major < 7 || opensearch) throw new EsError(406, 'media_type_header_exception', `${header} header [${v}] is not supported`);
      if (asked !== major && asked !== major - 1)
        throw badRequest(
          `${header} version must be either version ${major} or ${major - 1}, but found ${asked}. ${header}=${v}`,
          'media_type_header_exception',
        );
    }
  }

  function route(
    req: IncomingMessage,
    uri: string,
    path: string,
    params: Record<string, string>,
    served: EsServedRequest,
  ): { status: number; body?: Json } {
    const method = req.method ?? 'GET';
    const body = served.body;
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      if (opts.rootForbidden)
        throw new EsError(403, 'security_exception', 'action [cluster:monitor/main] is unauthorized for user [logs-reader]');
      return { status: 200, body: flavour.root };
    }
    const pit = /^\/([^/_][^/]*)\/_pit$/.exec(path);
    if (pit && method === 'POST') {
      if (!flavour.pit) throw noPit(uri, method);
      const opened = contexts.openPit(decodeURIComponent(pit[1]!), params);
      served.documents = opened.documents;
      return { status: 200, body: opened.body };
    }
    if (path === '/_pit' && method === 'DELETE') {
      if (!flavour.pit) throw noHandler(uri, method);
      return contexts.closePit(body);
    }
    if (path === '/_search/scroll' && (method === 'POST' || method === 'GET')) {
      const page = contexts.nextScroll(params, body);
      served.hits = page.hits;
      return { status: 200, body: page.body };
    }
    if (path === '/_search/scroll' && method === 'DELETE') return contexts.clearScroll(body);
    if (path === '/_search' && (method === 'POST' || method === 'GET')) {
      const page = contexts.searchPit(body);
      served.hits = page.hits;
      return { status: 200, body: page.body };
    }
    const indexSearch = /^\/([^/_][^/]*)\/_search$/.exec(path);
    if (indexSearch && (method === 'POST' || method === 'GET')) {
      if (isObject(body) && body.pit !== undefined)
        throw badRequest(
          'Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.',
          'action_request_validation_exception',
        );
      if (params.scroll === undefined)
        throw badRequest('this server searches only through a point in time or a scroll', 'action_request_validation_exception');
      const opened = contexts.openScroll(decodeURIComponent(indexSearch[1]!), params, body);
      served.documents = opened.documents;
      served.hits = opened.hits;
      return { status: 200, body: opened.body };
    }
    throw noHandler(uri, method);
  }

  function readBody(req: IncomingMessage, raw: Buffer, served: EsServedRequest): void {
    const body = /gzip|deflate/.test(req.headers['content-encoding'] ?? '') ? gunzipSync(raw) : raw;
    if (!body.length) return;
    const type = served.contentType ?? '';
    // 5.x still guessed a body's type; 6.0 made Content-Type strict.
    if (major >= 6 && !type.includes('application/json') && !type.includes('application/vnd.elasticsearch+json')) {
      throw new EsError(406, 'media_type_header_exception', `Content-Type header [${type}] is not supported`);
    }
    try {
      served.body = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw badRequest(`request body is not JSON: ${(err as Error).message}`, 'x_content_parse_exception');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const uri = req.url ?? '/';
    const url = new URL(uri, 'http://127.0.0.1');
    const params = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
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
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
    if (flavour.productHeader) headers['x-elastic-product'] = 'Elasticsearch';
    try {
      checkMediaTypes(req);
      readBody(req, Buffer.concat(chunks), served);
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
      const intercepted = opts.intercept?.(served);
      if (intercepted) {
        Object.assign(headers, intercepted.headers);
        ({ status, body: out } = intercepted);
      } else ({ status, body: out } = route(req, uri, url.pathname, params, served));
    } catch (err) {
      const e = err instanceof EsError ? err : new EsError(500, 'exception', (err as Error).message);
      if (e instanceof PlainError) Object.assign(headers, e.headers);
      status = e.status;
      out = errorBody(e, opts.index);
    }
    served.status = status;
    served.response = out;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' || out === undefined ? undefined : JSON.stringify(out));
  }

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'exception', reason: String(err) }, status: 500 }));
    });
  };
  const server = opts.tls ? createHttpsServer(opts.tls, answer) : createServer(answer);
  let connections = 0;
  server.on(opts.tls ? 'secureConnection' : 'connection', () => {
    connections += 1;
  });
  const port = await listenOnLoopback(server);
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    index: opts.index,
    flavour,
    requests,
    openPits: () => contexts.openIds('pit'),
    openScrolls: () => contexts.openIds('scroll'),
    connections: () => connections,
    stop: () => stopHttp(server),
  };
}
