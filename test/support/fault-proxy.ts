/**
 * An HTTP proxy in front of moto that answers chosen requests with S3 errors
 * (503 SlowDown, 500 InternalError, 403 AccessDenied...) instead of passing
 * them on, so retries and error messages are tested against real S3 traffic.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FaultRule {
  /** HTTP method to match (GET, PUT, HEAD, POST, DELETE); any when absent. */
  method?: string;
  /** Matched against the request path with its query string, e.g. /bucket\/wal_005\/ or /\?list-type=2/. */
  path?: RegExp;
  /** Only requests carrying this header (lower-case name), e.g. x-amz-copy-source for copies. */
  header?: string;
  status: number;
  /** S3 error code in the XML body; defaults by status (503 SlowDown, 500 InternalError, 403 AccessDenied). */
  code?: string;
  /** A whole response body to send instead of the XML error (e.g. a DeleteResult listing per-key errors). */
  body?: string;
  /** Let this many matching requests through before injecting. */
  skip?: number;
  /** How many matching requests get the error (default 1; Infinity for all). */
  times?: number;
}

export interface FaultProxy {
  endpoint: string;
  port: number;
  inject(rule: FaultRule): void;
  clear(): void;
  /** Errors answered so far. */
  readonly injected: number;
  /** Every request seen: method and path. */
  readonly requests: ReadonlyArray<{ method: string; path: string; faulted: boolean }>;
  stop(): Promise<void>;
}

const DEFAULT_CODES: Record<number, string> = {
  403: 'AccessDenied',
  429: 'SlowDown',
  500: 'InternalError',
  503: 'SlowDown',
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: Array<FaultRule & { seen: number; fired: number }> = [];
  const requests: Array<{ method: string; path: string; faulted: boolean }> = [];
  let injected = 0;

  const pick = (req: IncomingMessage): FaultRule | undefined => {
    for (const rule of rules) {
      if (rule.method && rule.method !== req.method) continue;
      if (rule.path && !rule.path.test(req.url ?? '')) continue;
      if (rule.header && req.headers[rule.header] === undefined) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.fired >= (rule.times ?? 1)) continue;
      rule.fired++;
      return rule;
    }
    return undefined;
  };

  const answerFault = (req: IncomingMessage, res: ServerResponse, rule: FaultRule): void => {
    // Drain the request body first so the client sees the response, not a reset.
    req.resume();
    req.on('end', () => {
      const code = rule.code ?? DEFAULT_CODES[rule.status] ?? 'InternalError';
      const body =
        rule.body ??
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
        `<Message>injected ${code}</Message><RequestId>fault-proxy</RequestId></Error>`;
      res.writeHead(rule.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };

  const server = createServer((req, res) => {
    const rule = pick(req);
    requests.push({ method: req.method ?? '', path: req.url ?? '', faulted: rule !== undefined });
    if (rule) {
      injected++;
      answerFault(req, res, rule);
      return;
    }
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: upstream error ${err.message}`);
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    inject(rule) {
      rules.push({ ...rule, seen: 0, fired: 0 });
    },
    clear() {
      rules.length = 0;
    },
    get injected() {
      return injected;
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
