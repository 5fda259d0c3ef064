/**
 * Loopback proxies that inject faults into real traffic:
 *
 * - an HTTP proxy in front of moto that answers chosen requests with S3 errors
 *   (503 SlowDown, 500 InternalError, 403 AccessDenied...) instead of passing
 *   them on, so retries and error messages are tested against real S3 traffic;
 * - a TCP proxy (in front of an sshd, say) whose connections the test cuts at the
 *   moment it chooses, as a network drop would.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createConnection, createServer as createTcpServer, type Socket } from 'node:net';
import { listenOnLoopback, stopHttp } from './loopback.js';
import { seededRandom } from './seeded-random.js';

interface FaultRule {
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
  /**
   * Fault only this fraction of the matching requests (after `skip`, within `times`), each
   * drawn from a pseudo-random sequence seeded with `seed`: the same traffic gets the same faults.
   */
  rate?: number;
  /** Seed of the `rate` draws (default 1). */
  seed?: number;
}

export interface FaultProxy {
  endpoint: string;
  port: number;
  inject(rule: FaultRule): void;
  clear(): void;
  /** Errors answered so far. */
  readonly injected: number;
  /** Every request seen: method and path, and the status injected when it was faulted. */
  readonly requests: ReadonlyArray<ProxiedRequest>;
  stop(): Promise<void>;
}

interface ProxiedRequest {
  method: string;
  path: string;
  faulted: boolean;
  status?: number;
}

const DEFAULT_CODES: Record<number, string> = {
  403: 'AccessDenied',
  429: 'SlowDown',
  500: 'InternalError',
  503: 'SlowDown',
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: Array<FaultRule & { seen: number; fired: number; draw?: () => number }> = [];
  const requests: ProxiedRequest[] = [];
  let injected = 0;

  const pick = (req: IncomingMessage): FaultRule | undefined => {
    for (const rule of rules) {
      if (rule.method && rule.method !== req.method) continue;
      if (rule.path && !rule.path.test(req.url ?? '')) continue;
      if (rule.header && req.headers[rule.header] === undefined) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.fired >= (rule.times ?? 1)) continue;
      if (rule.draw && rule.draw() >= rule.rate!) continue;
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
    requests.push({ method: req.method ?? '', path: req.url ?? '', faulted: rule !== undefined, ...(rule ? { status: rule.status } : {}) });
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

  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    inject(rule) {
      rules.push({ ...rule, seen: 0, fired: 0, ...(rule.rate !== undefined ? { draw: seededRandom(rule.seed ?? 1) } : {}) });
    },
    clear() {
      rules.length = 0;
    },
    get injected() {
      return injected;
    },
    requests,
    stop: () => stopHttp(server),
  };
}

export interface TcpFaultProxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Connections open now. */
  readonly open: number;
  /** Cuts every open connection, both ways, as a dropped network path would; returns how many. */
  cut(): number;
  stop(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of 127.0.0.1:upstreamPort. */
export async function startTcpFaultProxy(upstreamPort: number): Promise<TcpFaultProxy> {
  const live = new Set<[Socket, Socket]>();
  let connections = 0;
  let cuts = 0;
  const server = createTcpServer((inbound) => {
    connections++;
    const outbound = createConnection({ host: '127.0.0.1', port: upstreamPort });
    const pair: [Socket, Socket] = [inbound, outbound];
    live.add(pair);
    const close = (): void => {
      live.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  const port = await listenOnLoopback(server);
  const cut = (): number => {
    const pairs = [...live];
    for (const [inbound, outbound] of pairs) {
      inbound.resetAndDestroy();
      outbound.resetAndDestroy();
    }
    live.clear();
    cuts += pairs.length;
    return pairs.length;
  };
  return {
    port,
    get connections() {
      return connections;
    },
    get cuts() {
      return cuts;
    },
    get open() {
      return live.size;
    },
    cut,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const [inbound, outbound] of live) {
          inbound.destroy();
          outbound.destroy();
        }
        live.clear();
        server.close(() => {
          resolve();
        });
      }),
  };
}
