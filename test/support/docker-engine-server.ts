/**
 * A Docker Engine API server on a unix socket answering the listing calls in the documented formats
 * (API v1.41+): GET /volumes, GET /containers/json, GET /images/{name}/json; paths with or without a
 * /v1.NN prefix; anything else is answered 404 and, like every request, logged. What it shows that a
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
  Mountpoint: string;
  Labels: Record<string, string> | null;
  CreatedAt: string;
}

export interface FakeContainer {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
}

export interface FakeEngine {
  socket: string;
  /** "METHOD /path?query" of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.43' }).end(JSON.stringify(body));
}

export async function startFakeEngine(state: {
  volumes: FakeVolume[];
  containers: FakeContainer[];
  images: string[];
}): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-engine-'));
  const socket = join(dir, 'docker.sock');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v1\.\d+/, '');
    requests.push(`${req.method} ${path}${url.search}`);
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && path === '/volumes') {
      send(res, 200, { Volumes: state.volumes.map((v) => ({ ...v, Driver: 'local', Options: null, Scope: 'local' })), Warnings: null });
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
