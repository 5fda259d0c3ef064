/**
 * A Docker Engine API server on a unix socket, answering the documented formats (API v1.41+):
 * GET /volumes, GET /containers/json, GET /images/{name}/json, POST /containers/create,
 * GET /containers/{id}/json, POST /containers/{id}/start|stop, DELETE /containers/{id}; paths with or
 * without a /v1.NN prefix. A started `postgres:15` container runs the local PostgreSQL 15 binaries on
 * its bind-mounted folders (the host folder in place of each mount target in its arguments), listening
 * on the published 127.0.0.1 port or the mounted socket folder, so what talks to it talks to a real
 * server. Like the Engine, start returns once the server process runs, not once it accepts
 * connections; the container runs while its postmaster does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

interface CreatedContainer {
  id: string;
  name: string;
  body: {
    Image: string;
    Cmd?: string[];
    Env?: string[];
    Labels?: Record<string, string>;
    HostConfig: { Binds: string[]; PortBindings?: Record<string, { HostIp: string; HostPort: string }[]> };
  };
  started: boolean;
  removed: boolean;
}

export interface FakeEngine {
  socket: string;
  requests: string[];
  created: CreatedContainer[];
  close(): Promise<void>;
}

const PG15 = '/usr/lib/postgresql/15/bin';

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.43' }).end(text);
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? JSON.parse(text) : undefined;
}

export async function startFakeEngine(state: {
  volumes: FakeVolume[];
  containers: FakeContainer[];
  images: string[];
}): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-engine-'));
  const socket = join(dir, 'docker.sock');
  const requests: string[] = [];
  const created: CreatedContainer[] = [];
  const running = new Map<string, { dataDir: string; sock?: string }>();
  const asPg = (argv: string[]): void => {
    execFileSync('runuser', ['-u', 'postgres', '--', ...argv], { stdio: 'pipe' });
  };
  /** Whether the postmaster of a started container still runs. */
  const postmasterAlive = (dataDir: string): boolean => {
    try {
      process.kill(Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 0);
      return true;
    } catch {
      return false;
    }
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://docker');
      const path = url.pathname.replace(/^\/v1\.\d+/, '');
      requests.push(`${req.method} ${path}${url.search}`);
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && path === '/volumes') {
        send(res, 200, {
          Volumes: state.volumes.map((v) => ({ ...v, Driver: 'local', Options: null, Scope: 'local' })),
          Warnings: null,
        });
      } else if (req.method === 'GET' && path === '/containers/json') {
        // The host's containers, then those created through this engine and not removed (all=true lists stopped ones too).
        const made = created
          .filter((c) => !c.removed)
          .map((c) => {
            const r = running.get(c.id);
            const state = r !== undefined && postmasterAlive(r.dataDir) ? 'running' : c.started ? 'exited' : 'created';
            const mounts = c.body.HostConfig.Binds.map((b) => {
              const [source, destination, mode] = b.split(':');
              return { Type: 'bind', Source: source!, Destination: destination!, RW: mode !== 'ro' };
            });
            return { Id: c.id, Names: [`/${c.name}`], Image: c.body.Image, State: state, Mounts: mounts, Labels: c.body.Labels ?? {} };
          });
        send(
          res,
          200,
          [...state.containers.map((c) => ({ ...c, Labels: {} })), ...made].map((c) => ({
            ...c,
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
      } else if (req.method === 'POST' && path === '/containers/create') {
        const body = (await bodyOf(req)) as CreatedContainer['body'];
        const id = (created.length + 1).toString(16).padStart(64, 'c');
        created.push({ id, name: url.searchParams.get('name') ?? '', body, started: false, removed: false });
        send(res, 201, { Id: id, Warnings: [] });
      } else if ((m = /^\/containers\/([0-9a-f]+)(\/start|\/stop|\/json)?$/.exec(path))) {
        const c = created.find((x) => x.id === m![1]);
        if (!c) {
          send(res, 404, { message: `No such container: ${m[1]}` });
          return;
        }
        if (req.method === 'GET' && m[2] === '/json') {
          const r = running.get(c.id);
          const alive = r !== undefined && postmasterAlive(r.dataDir);
          send(res, 200, { Id: c.id, Name: `/${c.name}`, State: { Status: alive ? 'running' : 'exited', Running: alive } });
        } else if (req.method === 'POST' && m[2] === '/start') {
          // Each bind mount's folder inside the container, and the host folder it is.
          const binds = c.body.HostConfig.Binds.map((b) => b.split(':') as [string, string]);
          const inside = (target: string): string | undefined => binds.find(([, t]) => t === target)?.[0];
          const dataDir = inside('/var/lib/postgresql/data')!;
          const port = Object.values(c.body.HostConfig.PortBindings ?? {})[0]?.[0]?.HostPort ?? '5432';
          // The image's socket folder, /var/run/postgresql: the host folder mounted there, else one of the container's own.
          const mounted = inside('/var/run/postgresql');
          const sock = mounted ?? mkdtempSync(join(tmpdir(), 'fake-pg-'));
          // As the image's entrypoint does as root: its data and socket folders made the postgres account's (chmod 3775 the socket's).
          execFileSync('chown', ['-R', 'postgres:postgres', sock, dataDir]);
          // Host folders stand in for the container's: the folder above each (the drill's, the scratch account's 0700
          // one) is made passable, as a container reaches its mounts without passing through it.
          for (const above of new Set([dirname(sock), dirname(dataDir)])) execFileSync('chmod', ['o+x', above]);
          if (mounted) execFileSync('chmod', ['3775', sock]);
          // What the image's entrypoint does with an initialised PGDATA: run postgres with the given arguments.
          const args = (c.body.Cmd ?? []).slice(1).map((a) => binds.reduce((arg, [source, target]) => arg.replaceAll(target, source), a));
          asPg([
            join(PG15, 'pg_ctl'),
            '-D',
            dataDir,
            '-l',
            join(sock, 'log'),
            '-s',
            '-W',
            '-o',
            [`-p ${port}`, `-k ${sock}`, ...args.map((a) => (a === '-c' ? a : `'${a}'`))]
              .join(' ')
              .replace("'listen_addresses=*'", "'listen_addresses=127.0.0.1'"),
            'start',
          ]);
          running.set(c.id, { dataDir, sock: mounted ? undefined : sock });
          c.started = true;
          send(res, 204);
        } else if (req.method === 'POST' && m[2] === '/stop') {
          const r = running.get(c.id);
          if (!r) {
            send(res, 304);
            return;
          }
          // A server that already exited (as a container whose process ended) has nothing to stop.
          if (postmasterAlive(r.dataDir)) asPg([join(PG15, 'pg_ctl'), '-D', r.dataDir, '-s', '-w', '-m', 'fast', 'stop']);
          if (r.sock) rmSync(r.sock, { recursive: true, force: true });
          running.delete(c.id);
          send(res, 204);
        } else if (req.method === 'DELETE' && !m[2]) {
          if (running.has(c.id)) {
            send(res, 409, { message: 'You cannot remove a running container' });
            return;
          }
          c.removed = true;
          send(res, 204);
        } else send(res, 405, { message: 'method not allowed' });
      } else {
        send(res, 404, { message: `page not found: ${path}` });
      }
    })().catch((err: unknown) => {
      send(res, 500, { message: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    requests,
    created,
    close: async () => {
      for (const r of running.values()) {
        if (postmasterAlive(r.dataDir)) asPg([join(PG15, 'pg_ctl'), '-D', r.dataDir, '-s', '-w', '-m', 'immediate', 'stop']);
      }
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
