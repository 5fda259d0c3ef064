/** `docker inspect` on the simulated cell: Docker 1.11's JSON for each container named. */
import { type CellWorld, fail, findContainer, NEVER, ok, type Out, restarting, type SimContainer } from './cell-world.js';

export function inspect(state: CellWorld, a: string[]): Out {
  const names = a[0] === '--type' ? a.slice(2) : a;
  const found: object[] = [];
  const errors: string[] = [];
  for (const n of names) {
    const c = findContainer(state, n);
    if (c) found.push(inspectJson(state, c));
    else errors.push(`Error: No such container: ${n}\n`);
  }
  const stdout = JSON.stringify(found, null, 4) + '\n';
  return errors.length ? fail(1, errors.join(''), stdout) : ok(stdout);
}

function inspectJson(state: CellWorld, c: SimContainer): object {
  // A crash loop: between Docker's restarts the container is Running and Restarting at once.
  const restartingNow = restarting(c);
  // Restarting, it runs no process and shows its last exit's code (container/state.go SetRestarting);
  // started, it shows 0 (SetRunning).
  const attempting = c.running && !restartingNow;
  return {
    Id: c.id,
    Created: c.startedAt,
    Path: '/scripts/run.sh',
    Args: [],
    State: {
      Status: restartingNow ? 'restarting' : c.running ? 'running' : c.finishedAt === NEVER ? 'created' : 'exited',
      Running: c.running,
      Paused: false,
      Restarting: restartingNow,
      OOMKilled: false,
      Dead: false,
      Pid: attempting ? pidOf(c) : 0,
      ExitCode: attempting ? 0 : c.exitCode,
      Error: '',
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: `sha256:${hex(c.image, 64)}`,
    ResolvConfPath: `/var/vcap/store/docker/docker/containers/${c.id}/resolv.conf`,
    Name: `/${c.name}`,
    RestartCount: c.restartCount ?? 0,
    Driver: 'aufs',
    HostConfig: {
      Binds: c.mounts.map((m) => `${m.Source}:${m.Destination}`),
      LogConfig: { Type: c.logDriver ?? 'json-file', Config: {} },
      // cf-containers-broker's default (app/models/docker_manager.rb: restart 'always').
      RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
    },
    Mounts: c.mounts.map((m) => ({ Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: 'rprivate' })),
    Config: {
      Hostname: c.id.slice(0, 12),
      Domainname: '',
      User: '',
      ExposedPorts: { '5432/tcp': {} },
      Tty: false,
      Env: c.env,
      Cmd: ['/scripts/run.sh'],
      Image: c.image,
      Volumes: { '/data': {} },
      WorkingDir: '',
      Labels: {},
    },
    NetworkSettings: { IPAddress: '172.17.0.2', Ports: { '5432/tcp': [{ HostIp: '0.0.0.0', HostPort: '32785' }] } },
    _cell: state.ip,
  };
}

/** A stable hex digest of `seed`, as long as asked (FNV-1a rounds): the image id. */
function hex(seed: string, length: number): string {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (const ch of `${seed}${out.length}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

function pidOf(c: SimContainer): number {
  return 1000 + (parseInt(c.id.slice(0, 4), 16) % 30000 || 0);
}
