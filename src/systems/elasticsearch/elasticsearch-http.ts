/**
 * The few Elasticsearch requests the log search makes, as plain JSON over HTTP (undici's `fetch`,
 * keep-alive), so one client speaks to every server from Elasticsearch 2 to 9 and OpenSearch: the
 * official 9.x client refuses a server without the `x-elastic-product` header (before 7.14, and
 * OpenSearch) and asks for `compatible-with=9`, which 8.x refuses. It goes through the proxy
 * `http-proxy.ts` picks by aws-cli's rules (an `http://` target in absolute form, as curl and
 * aws-cli send it, since a default Squid refuses CONNECT outside port 443), trusts the CA of
 * --es-ca-file, and authenticates with an API key, a user and password, or the user and password
 * written in the URL.
 *
 * Each attempt has a deadline (--es-timeout) for the whole exchange, connection, headers and body
 * (`elasticsearch-attempts.ts`), and a request is tried again, a bounded number of times with a
 * growing pause (the server's Retry-After when it gives one), when the connection fails, an
 * attempt passes its deadline, or the server says it is busy (429) or a gateway before it failed
 * (502, 503, 504).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch, Pool, ProxyAgent, type Dispatcher } from 'undici';
import { UsageError } from '../../core/errors.js';
import { readInputFile } from '../../core/input-file.js';
import { isRecord } from '../../core/json.js';
import { Redactor } from '../../core/redact.js';
import { DEFAULT_ES_TIMEOUT_SECONDS, ES_ATTEMPTS, type EsSourceSpec } from '../../core/log-source.js';
import { formatDuration } from '../../core/duration.js';
import { sayWaiting } from '../../core/waits.js';
import { proxyFor } from '../http-proxy.js';
import { EsStalled, NOTICE_MS, pauseAfter, underDeadline, type Progress } from './elasticsearch-attempts.js';
import { invocation } from '../../core/invocation.js';

/** A CA bundle is a few PEM certificates; the system's whole bundle is under 1 MiB. */
const MAX_CA_BYTES = 4 * 1024 * 1024;
/** The start of a body that is not Elasticsearch's JSON (a proxy's page) kept in a message. */
const MAX_QUOTED = 200;
/** The longest Retry-After waited for; a server asking more is answered with the failure. */
const MAX_RETRY_AFTER_MS = 30_000;
/** Statuses that say the server or a gateway before it is busy or down for a moment, not that the request is wrong. */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);
/** Connection failures worth another try: the server (or its balancer) was restarting, or dropped us. */
const RETRIED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
/** Of those, the ones that mean the request never reached the server, so even a request that must not run twice may be sent again. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

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

  /** How long the server asked to wait before trying again (Retry-After), if it did. */
  retryAfterMs?: number;
}

export interface EsResponse {
  status: number;
  body: unknown;
}

export interface RequestOptions {
  /**
   * Whether sending the request twice does no harm (true unless told). One that is not (reading a
   * scroll on: a read the server did but whose answer was lost skips a page) is sent again only
   * when it surely never ran: the connection was refused, or the server answered 429.
   */
  idempotent?: boolean;
  /** How many times it may be sent in all (ES_ATTEMPTS unless told). */
  attempts?: number;
}

/** A request that failed before any answer: the connection, or no connection in time. */
class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export class EsHttpClient {
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Dispatcher;
  private readonly timeoutSeconds: number;
  readonly redactor: Redactor;

  constructor(spec: EsSourceSpec) {
    const redactor = (this.redactor = spec.redactor);
    redactor.register(spec.apiKey);
    redactor.register(spec.password);
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      throw new UsageError(`--es-url ${JSON.stringify(redactor.redact(spec.url))} is not a URL`, {
        hint: 'Give the Elasticsearch endpoint, e.g. --es-url https://logsearch.example.com:9200',
      });
    }
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    redactor.register(password);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.base = url;
    this.headers = { accept: 'application/json', 'content-type': 'application/json' };
    const authorization = authorizationFor(spec, user, password);
    if (authorization) {
      redactor.register(authorization);
      this.headers.authorization = authorization;
    }
    const ca = spec.caFile
      ? readInputFile(spec.caFile, {
          what: 'CA file',
          maxBytes: MAX_CA_BYTES,
          hint: 'Pass the PEM file of the CA that signed the Elasticsearch certificate with --es-ca-file',
        })
      : undefined;
    this.timeoutSeconds = spec.timeoutSeconds ?? DEFAULT_ES_TIMEOUT_SECONDS;
    // The whole exchange has its deadline per attempt (underDeadline); undici's own bound only the connection.
    const ms = this.timeoutSeconds * 1000;
    // Through the proxy curl and aws-cli would take to it (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
    const proxy = proxyFor(url, invocation().env, redactor);
    const tls = ca === undefined ? {} : { ca };
    this.dispatcher = proxy
      ? new ProxyAgent({
          uri: proxy,
          requestTls: tls,
          proxyTls: { timeout: ms },
          // An http:// target is asked in absolute form, not tunnelled with CONNECT.
          proxyTunnel: url.protocol === 'https:',
          factory: (origin, o) => new Pool(origin, o),
        })
      : new Agent({ connect: { ...tls, timeout: ms } });
  }

  /**
   * Sends one request, again after a pause when the connection failed, an attempt stalled or the
   * server was busy; a 2xx answer's JSON body, else an EsResponseError in the server's words.
   */
  async request(method: string, path: string, body?: unknown, o: RequestOptions = {}): Promise<EsResponse> {
    const idempotent = o.idempotent ?? true;
    const attempts = o.attempts ?? ES_ATTEMPTS;
    const target = new URL(path.replace(/^\//, ''), this.base);
    const what = this.redactor.redact(`Elasticsearch at ${this.base.origin} (${method} ${target.pathname}${target.search})`);
    for (let n = 1; ; n++) {
      let pause: number | null = null;
      try {
        const attempt = { what, n, of: attempts, timeoutMs: this.timeoutSeconds * 1000 };
        return await underDeadline(attempt, (p) => this.send(method, target, body, p));
      } catch (err) {
        if (n >= attempts) throw givenUp(err, n, idempotent);
        if (err instanceof EsStalled && idempotent) pause = pauseAfter(n);
        if (err instanceof NetworkError && RETRIED_CODES.has(err.code) && (idempotent || NEVER_SENT_CODES.has(err.code)))
          pause = pauseAfter(n);
        if (err instanceof EsResponseError && RETRIED_STATUSES.has(err.status) && (idempotent || err.status === 429))
          pause = err.retryAfterMs ?? pauseAfter(n);
        if (pause === null || pause > MAX_RETRY_AFTER_MS) throw givenUp(err, n, idempotent);
        if (pause >= NOTICE_MS && err instanceof EsResponseError)
          sayWaiting(
            `${what} answered HTTP ${err.status} and asks to wait ${formatDuration(pause)} (Retry-After) before attempt ${n + 1} of ${attempts}`,
          );
      }
      await sleep(pause);
    }
  }

  private async send(method: string, target: URL, body: unknown, progress: Progress): Promise<EsResponse> {
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
        signal: progress.signal,
      });
      progress.answered = true;
      const chunks: Uint8Array[] = [];
      // Read here, not with res.text(), to say how far a stalled answer came.
      const stream: AsyncIterable<Uint8Array> | null = res.body;
      if (stream)
        for await (const chunk of stream) {
          chunks.push(chunk);
          progress.bytes += chunk.byteLength;
        }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      // Past the deadline: underDeadline says how far the answer came.
      if (progress.signal.aborted) throw err;
      const code = codeOf(err);
      throw new NetworkError(networkReason(this.base.origin, err, code, this.timeoutSeconds), code, { cause: err });
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
    const error = responseError(res.status, parsed);
    error.retryAfterMs = retryAfterMs(res.headers.get('retry-after'));
    throw error;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** The system's or undici's code of a failed fetch (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT), or ''. */
function codeOf(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return isRecord(cause) && typeof cause.code === 'string' ? cause.code : '';
}

/** What undici's "fetch failed" stands for: no connection in time, or the system's error under it (ECONNREFUSED, a certificate refused). */
function networkReason(origin: string, err: unknown, code: string, seconds: number): string {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `cannot reach ${origin}: no connection in ${seconds} s`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (!(cause instanceof Error)) return `cannot reach ${origin}: ${String(cause)}`;
  return `cannot reach ${origin}: ${code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message}`;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
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

/** The error a request ends with, saying how often it was sent when more than once, or why a stalled one was not sent again. */
function givenUp(err: unknown, attempts: number, idempotent: boolean): unknown {
  if (!(err instanceof EsStalled)) return err;
  const note =
    attempts > 1
      ? ` (${attempts} attempts)`
      : idempotent
        ? ''
        : ' (not sent again: the server may have done it, and done twice it is not the same)';
  return new EsStalled(err.message + note, err.hint, { cause: err.cause });
}
