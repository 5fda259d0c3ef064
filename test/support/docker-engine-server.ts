/**
 * A Docker Engine API server on a unix socket answering the listing calls in the documented formats
 * (API v1.41+): GET /volumes (with the Driver, Mountpoint, Options and Warnings a test gives),
 * GET /containers/json, GET /images/{name}/json; paths with or without a /v1.NN prefix, one above its
 * maximum API version refused as moby refuses it; anything else is answered 404 and, like every
 * request, logged. What it shows that a
 * real Engine (dockerd.ts) cannot: volumes and containers as older Engines list them (Labels null,
 * volumes of any creation date), and the exact requests made, so that no pull (POST /images/create)
 * and no container creation is ever asked for. Containers run only on the real Engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeVolume {
  Name: string;
  /** Empty for a plugin's volume it has not mounted (moby volume/service/convert.go: CachedPath). */
  Mountpoint: string;
  Labels: Record<string, string> | null;
  CreatedAt: string;
  /** Default `local`. */
  Driver?: string;
  /** The driver's options (the local driver's type, device and o); default null. */
  Options?: Record<string, string> | null;
}

export interface FakeContainer {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
}

/** Whether API version `a` (1.NN) is newer than `b`. */
function newer(a: string, b: string): boolean {
  const [am, an] = a.split('.').map(Number) as [number, number];
  const [bm, bn] = b.split('.').map(Number) as [number, number];
  return am > bm || (am === bm && an > bn);
}

export interface FakeEngine {
  socket: string;
  /** "METHOD /path?query" of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** The newest API version the double answers, unless a test gives another. */
const MAX_API_VERSION = '1.43';

export async function startFakeEngine(state: {
  volumes: FakeVolume[];
  containers: FakeContainer[];
  images: string[];
  /** GET /volumes's Warnings: a volume driver that failed to list (moby volume/service/store.go list); default null. */
  warnings?: string[];
  /** The newest API version it answers; default 1.43. */
  maxApiVersion?: string;
}): Promise<FakeEngine> {
  const maxApi = state.maxApiVersion ?? MAX_API_VERSION;
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': maxApi }).end(JSON.stringify(body));
  };
  const dir = mkdtempSync(join(tmpdir(), 'fake-engine-'));
  const socket = join(dir, 'docker.sock');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    const asked = /^\/v(\d+\.\d+)(?=\/)/.exec(url.pathname)?.[1];
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    requests.push(`${req.method} ${path}${url.search}`);
    let m: RegExpExecArray | null;
    if (asked && newer(asked, maxApi)) {
      // moby daemon/server/middleware/version.go: a client version above the daemon's maximum is refused, 400.
      send(res, 400, { message: `client version ${asked} is too new. Maximum supported API version is ${maxApi}` });
    } else if (req.method === 'GET' && path === '/volumes') {
      send(res, 200, {
        Volumes: state.volumes.map((v) => ({ ...v, Driver: v.Driver ?? 'local', Options: v.Options ?? null, Scope: 'local' })),
        Warnings: state.warnings ?? null,
      });
    } else if (req.method === 'GET' && path === '/containers/json') {
      send(
        res,
        200,
        state.containers.map((c) => ({
          ...c,
          Labels: null,
          ImageID: 'sha256:0',
          Command: 'docker-entrypoint.sh postgres',
          Created: 0,
          Ports: [],
          Status: c.State,
        })),
      );
    } else if (req.method === 'GET' && (m = /^\/images\/(.+)\/json$/.exec(path))) {
      const ref = decodeURIComponent(m[1]!);
      if (state.images.includes(ref)) send(res, 200, { Id: 'sha256:1', RepoTags: [ref] });
      else send(res, 404, { message: `No such image: ${ref}` });
    } else {
      send(res, 404, { message: `page not found: ${path}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    requests,
    close: async () => {
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
