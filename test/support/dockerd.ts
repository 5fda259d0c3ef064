/**
 * A real Docker Engine for tests (test-infrastructure.md, "A real Docker Engine"): Debian's dockerd,
 * private to one test file, in a network namespace of its own (`unshare --net`), so its bridge and
 * veths never touch the host's network, with its own configuration, socket, data root, exec root and
 * pid file in one temporary folder. Stopped by PID whatever fails: every container removed, dockerd
 * and what it started (containerd, shims: every process naming the folder) killed, the mounts under
 * the folder unmounted, the folder removed. Nothing can be pulled: images are built here (pg-image-build.ts).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { leftover } from './leftovers.js';
import { alive, mountsUnder, processesNaming, registerServer } from './server-registry.js';

export interface Dockerd {
  /** `unix:///tmp/dkd-…/docker.sock`, as --docker-host takes it. */
  host: string;
  socket: string;
  dir: string;
  pid: number;
  /** Runs the docker client against this daemon; its stdout. Throws with its stderr when it fails. */
  docker(args: string[], input?: Buffer | string): string;
  stop(): Promise<void>;
}

const DOCKERD = '/usr/sbin/dockerd';

function onPath(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Why a Docker Engine cannot run on this machine, or null when it can. CI installs docker.io and runs
 * as root: there the tests never skip, they fail with this reason.
 */
function dockerdMissing(): string | null {
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed (apt-get install docker.io)`;
  if (!onPath('docker')) return 'the docker client is not on PATH (apt-get install docker.io)';
  if (!onPath('unshare')) return 'unshare (util-linux) is not on PATH';
  return null;
}

/** Whether the tests of a real Engine skip here; says why, loudly, when they do. Never on CI. */
export function skipWithoutDockerd(): boolean {
  const missing = dockerdMissing();
  if (!missing) return false;
  if (process.env.CI) throw new Error(`a real Docker Engine must run on CI, but ${missing}`);
  console.warn(`SKIPPED: the tests of a real Docker Engine, because ${missing}`);
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function killAndWait(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < until) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  while (pids.some(alive)) await sleep(50);
}

/** Starts a private dockerd and waits until it answers (`docker version`). */
export async function startDockerd(timeoutMs = 60_000): Promise<Dockerd> {
  // Short: a unix socket path must stay under 108 bytes.
  const dir = mkdtempSync('/tmp/dkd-');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'unshare',
    [
      '--net',
      '--',
      DOCKERD,
      '--config-file',
      join(dir, 'daemon.json'),
      '--host',
      host,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
      '--storage-driver',
      'overlay2',
    ],
    // unshare execs dockerd: the child's pid is dockerd's.
    { stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  child.unref();
  const pid = child.pid!;
  const docker = (args: string[], input?: Buffer | string): string => {
    const r = spawnSync('docker', ['-H', host, ...args], { input, maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${String(r.status)}): ${String(r.stderr).trim()}`);
    return String(r.stdout);
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      if (alive(pid)) {
        const ids = String(spawnSync('docker', ['-H', host, 'ps', '-aq'], { timeout: 10_000 }).stdout)
          .split(/\s+/)
          .filter(Boolean);
        if (ids.length) spawnSync('docker', ['-H', host, 'rm', '-f', ...ids], { timeout: 30_000 });
        await killAndWait([pid], 15_000);
      }
      await killAndWait(processesNaming(dir), 5_000);
      for (const point of mountsUnder(dir)) spawnSync('umount', ['-l', point]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forget();
      unregister();
    }
  };
  const unregister = registerServer('dockerd', pid, dir, dir);
  const forget = leftover(stop);
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0) break;
    if (!alive(pid) || Date.now() > until) {
      const why = alive(pid) ? `did not answer within ${String(timeoutMs)} ms` : 'exited';
      const text = readFileSync(join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n');
      await stop();
      throw new Error(`dockerd ${why}:\n${text}`);
    }
    await sleep(250);
  }
  return { host, socket, dir, pid, docker, stop };
}

/** `docker inspect` of a container, parsed (HostConfig, Config, State, Mounts). */
export function inspectContainer(d: Dockerd, id: string): DockerInspect {
  return (JSON.parse(d.docker(['inspect', id])) as DockerInspect[])[0]!;
}

export interface DockerInspect {
  Id: string;
  Name: string;
  State: { Running: boolean };
  Config: {
    User: string;
    Env: string[] | null;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Image: string;
    Labels: Record<string, string>;
  };
  HostConfig: {
    NetworkMode: string;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    ReadonlyRootfs: boolean;
    Privileged: boolean;
    PortBindings: Record<string, unknown> | null;
    PublishAllPorts: boolean;
    Binds: string[] | null;
    Tmpfs?: Record<string, string> | null;
    Memory?: number;
    CpuShares?: number;
    PidsLimit?: number | null;
  };
  NetworkSettings: { Ports: Record<string, unknown> | null };
}

/**
 * Inspects every container with `label` while it runs, polling until stopped: HostConfig is only
 * to be seen on a container that exists, and ours are removed once their server stops.
 */
export function watchRunning(d: Dockerd, label: string): { stop(): Promise<DockerInspect[]> } {
  const seen = new Map<string, DockerInspect>();
  const watching = { done: false };
  const docker = async (args: string[]): Promise<string> =>
    (await promisify(execFile)('docker', ['-H', d.host, ...args], { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  const loop = (async () => {
    while (!watching.done) {
      const ids = (await docker(['ps', '-q', '--no-trunc', '--filter', `label=${label}`]).catch(() => '')).split(/\s+/).filter(Boolean);
      for (const id of ids.filter((i) => !seen.has(i))) {
        const text = await docker(['inspect', id]).catch(() => null);
        const info = text ? (JSON.parse(text) as DockerInspect[])[0] : undefined;
        if (info?.State.Running) seen.set(id, info);
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      watching.done = true;
      await loop;
      return [...seen.values()];
    },
  };
}

/** The ids of all containers of the daemon, stopped ones too. */
export function allContainers(d: Dockerd): string[] {
  return d.docker(['ps', '-aq', '--no-trunc']).split(/\s+/).filter(Boolean);
}
