/**
 * The few Elasticsearch requests the log search makes, as plain JSON over HTTP (undici's `fetch`,
 * keep-alive), so one client speaks to every server from Elasticsearch 5 to 9 and OpenSearch: the
 * official 9.x client refuses a server without the `x-elastic-product` header (before 7.14, and
 * OpenSearch) and asks for `compatible-with=9`, which 8.x refuses. It goes through the proxy
 * `http-route.ts` picks by aws-cli's rules, trusts the CA of --es-ca-file, and authenticates with
 * an API key, a user and password, or the user and password written in the URL.
 */
import { Agent, fetch, ProxyAgent, type Dispatcher } from 'undici';
import { UsageError } from '../../core/errors.js';
import { readInputFile } from '../../core/input-file.js';
import { isRecord } from '../../core/json.js';
import { secrets } from '../../core/redact.js';
import type { EsSourceSpec } from '../../core/log-source.js';
import { proxyFor } from '../http-route.js';

/** A CA bundle is a few PEM certificates; the system's whole bundle is under 1 MiB. */
const MAX_CA_BYTES = 4 * 1024 * 1024;
/** The start of a body that is not Elasticsearch's JSON (a proxy's page) kept in a message. */
const MAX_QUOTED = 200;

/** An answer that is not 2xx, with the server's own words in the message. */
export class EsResponseError extends Error {
  constructor(
    readonly status: number,
    /** The error's `type` (5.x and later), or undefined when the body said only a sentence. */
    readonly type: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface EsResponse {
  status: number;
  body: unknown;
}

export class EsHttpClient {
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Dispatcher;

  constructor(spec: EsSourceSpec) {
    secrets.register(spec.apiKey);
    secrets.register(spec.password);
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      throw new UsageError(`--es-url ${JSON.stringify(secrets.redact(spec.url))} is not a URL`, {
        hint: 'Give the Elasticsearch endpoint, e.g. --es-url https://logsearch.example.com:9200',
      });
    }
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    secrets.register(password);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.base = url;
    this.headers = { accept: 'application/json', 'content-type': 'application/json' };
    const authorization = authorizationFor(spec, user, password);
    if (authorization) {
      secrets.register(authorization);
      this.headers.authorization = authorization;
    }
    const ca = spec.caFile
      ? readInputFile(spec.caFile, {
          what: 'CA file',
          maxBytes: MAX_CA_BYTES,
          hint: 'Pass the PEM file of the CA that signed the Elasticsearch certificate with --es-ca-file',
        })
      : undefined;
    // Through the proxy curl and aws-cli would take to it (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
    const proxy = proxyFor(url);
    const tls = ca === undefined ? {} : { ca };
    this.dispatcher = proxy ? new ProxyAgent({ uri: proxy, requestTls: tls }) : new Agent({ connect: tls });
  }

  /** Sends one request; a 2xx answer's JSON body, else an EsResponseError in the server's words. */
  async request(method: string, path: string, body?: unknown): Promise<EsResponse> {
    const target = new URL(path.replace(/^\//, ''), this.base);
    let res: Awaited<ReturnType<typeof fetch>>;
    let text: string;
    try {
      res = await fetch(target, {
        method,
        headers: this.headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.dispatcher,
        // Elasticsearch never redirects: a redirect is a front (http to https, a login page) to name, not follow with the credentials.
        redirect: 'manual',
      });
      text = await res.text();
    } catch (err) {
      throw new Error(`cannot reach ${this.base.origin}: ${networkReason(err)}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location') ?? 'nowhere';
      throw new EsResponseError(
        res.status,
        undefined,
        `HTTP ${res.status}: redirected to ${location}; give the Elasticsearch address itself as --es-url`,
      );
    }
    if (res.status >= 200 && res.status < 300) {
      if (typeof parsed === 'string') throw new EsResponseError(res.status, undefined, `the answer is not JSON: ${quote(text)}`);
      return { status: res.status, body: parsed };
    }
    throw responseError(res.status, parsed);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** What undici's "fetch failed" stands for: the system's error under it (ECONNREFUSED, a certificate refused). */
function networkReason(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (!(cause instanceof Error)) return String(cause);
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : '';
  return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
}

function authorizationFor(spec: EsSourceSpec, user: string, password: string): string | undefined {
  if (spec.apiKey) return `ApiKey ${spec.apiKey}`;
  const basic = spec.username ? [spec.username, spec.password ?? ''] : user ? [user, password] : null;
  return basic ? `Basic ${Buffer.from(basic.join(':')).toString('base64')}` : undefined;
}

const quote = (text: string): string => JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);

/**
 * The error an answer's body states, in each version's shape: `{"error": "sentence"}` (a path
 * without a handler; Elasticsearch before 5), `{"error": {"type", "reason", "root_cause",
 * "failed_shards"}, "status"}` (5.x and later, OpenSearch), or a proxy's page that is not JSON.
 */
function responseError(status: number, body: unknown): EsResponseError {
  const error = isRecord(body) ? body.error : undefined;
  if (typeof error === 'string') return new EsResponseError(status, undefined, `HTTP ${status}: ${error}`);
  if (isRecord(error)) {
    const type = typeof error.type === 'string' ? error.type : undefined;
    const reasons = [reasonOf(error), ...causes(error)].filter((r, i, all) => r !== '' && all.indexOf(r) === i);
    return new EsResponseError(status, type, `HTTP ${status}: ${reasons.join('; ')}`);
  }
  const said = typeof body === 'string' ? `: ${quote(body)}` : '';
  return new EsResponseError(status, undefined, `HTTP ${status}${said}`);
}

function reasonOf(e: unknown): string {
  if (!isRecord(e)) return '';
  const type = typeof e.type === 'string' ? e.type : '';
  const reason = typeof e.reason === 'string' ? e.reason : '';
  return type && reason ? `${type}: ${reason}` : type || reason;
}

/** The reasons under a search_phase_execution_exception (its shards' failures) or a wrapped cause. */
function causes(e: Record<string, unknown>): string[] {
  const shards = Array.isArray(e.failed_shards) ? e.failed_shards.map((f) => reasonOf(isRecord(f) ? f.reason : undefined)) : [];
  const roots = Array.isArray(e.root_cause) ? e.root_cause.map(reasonOf) : [];
  return [...shards, ...roots, reasonOf(e.caused_by)];
}
