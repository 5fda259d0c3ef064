/**
 * The Docker Engine of this host through its API on the unix socket, with dockerode (the Engine API
 * client most Node tools use). Only what finding and inspecting lost volumes needs: list volumes and
 * containers, and run a throwaway container on a bind-mounted copy, labelled and hardened alike, each
 * removed by its watchdog should the tool end without removing it (container-watchdog.ts). Nothing is
 * pulled, and no other container is ever made (an image's files are never read through one).
 */
import type Docker from 'dockerode';
import { formatDuration, parseDuration } from '../core/duration.js';
import { containerWatchdog } from './container-watchdog.js';
import { UsageError } from '../core/errors.js';
import type { DockerEngine, EngineContainer, EngineContainerSpec, EngineVolume, EngineVolumeList } from '../core/seams.js';
import { invocation } from '../core/invocation.js';

/** How long one Engine call may take (beyond a stop's own grace period), by default. */
const DEFAULT_ENGINE_TIMEOUT_MS = 60_000;

/**
 * The deadline of each Engine call: DINGO_RECOVER_DOCKER_TIMEOUT (a duration, "90s", "5m") when set,
 * else a minute. An Engine that accepts and never answers, or stalls inside its answer, fails the
 * call naming the socket and the call; nothing is retried (a container's create or start is not
 * safe to repeat blindly; the step that asked decides).
 */
export function engineTimeoutMs(env: NodeJS.ProcessEnv = invocation().env): number {
  const given = env.DINGO_RECOVER_DOCKER_TIMEOUT;
  if (given === undefined || given === '') return DEFAULT_ENGINE_TIMEOUT_MS;
  const ms = parseDuration(given, 'DINGO_RECOVER_DOCKER_TIMEOUT');
  if (ms < 1) throw new UsageError(`DINGO_RECOVER_DOCKER_TIMEOUT "${given}" must be longer than nothing`, { hint: 'e.g. 2m' });
  return ms;
}

/** The socket path of a `unix://` Docker host (the only kind a host-local recovery uses). */
export function socketPathOf(dockerHost: string): string {
  const m = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (m?.[1]) return m[1];
  if (dockerHost.startsWith('/')) return dockerHost;
  throw new UsageError(`--docker-host ${JSON.stringify(dockerHost)} is not a unix socket`, {
    hint: 'give the Engine socket on this host, e.g. --docker-host unix:///var/run/docker.sock',
  });
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

/** An engine error as the operator can act on it: the socket unreachable (with what to do), else what failed and why. */
function explain(socketPath: string, what: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return new UsageError(`cannot reach the Docker Engine at ${socketPath} (${code}) to ${what}`, {
      hint:
        code === 'EACCES'
          ? 'run as root (or a member of the docker group)'
          : 'start the Docker daemon, give its socket with --docker-host, or read a folder of volumes with --volumes-root',
    });
  }
  return new Error(`Docker Engine at ${socketPath}: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

/** A volume as the Engine answers it: older engines leave Labels null, and CreatedAt came later. */
type WireVolume = Omit<Docker.VolumeInspectInfo, 'Labels'> & { Labels: Record<string, string> | null; CreatedAt?: string };

function volumeOf(v: WireVolume): EngineVolume {
  return {
    name: v.Name,
    driver: v.Driver,
    mountpoint: v.Mountpoint,
    createdAt: v.CreatedAt,
    labels: v.Labels ?? {},
    ...(v.Options ? { options: v.Options } : {}),
  };
}

/** An engine may answer Labels null, as it does for volumes. */
function labelsOf(labels: Record<string, string> | null | undefined): Record<string, string> {
  return labels ?? {};
}

function containerOf(c: Docker.ContainerInfo): EngineContainer {
  return {
    id: c.Id,
    names: c.Names.map((n) => n.replace(/^\//, '')),
    image: c.Image,
    state: c.State,
    mounts:
      (c.Mounts as Docker.ContainerInfo['Mounts'] | null | undefined)?.map((m) => ({
        type: m.Type,
        name: m.Name,
        source: m.Source,
        destination: m.Destination,
        rw: m.RW,
      })) ?? [],
    labels: labelsOf(c.Labels),
  };
}

/** The label every container of the tool carries, saying what it is for: how a leftover is found. */
export const PURPOSE_LABEL = 'dingo-recover.purpose';

/**
 * The Engine's create options for a scratch container: bind mounts, and nothing else it could reach
 * or do: no network (not even loopback to the host's), every capability dropped, no new privileges
 * (setuid programs stay powerless), a read-only root filesystem, no port and no environment of ours.
 */
function createOptionsOf(spec: EngineContainerSpec): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    Entrypoint: spec.entrypoint,
    Cmd: spec.cmd ?? [],
    User: spec.user,
    Env: [],
    Labels: { [PURPOSE_LABEL]: spec.purpose },
    NetworkDisabled: true,
    HostConfig: {
      Binds: spec.binds.map((b) => `${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`),
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Privileged: false,
    },
  };
}

/**
 * `f` given an abort signal, failed when it has not settled within `ms`: the signal aborts its
 * request (dockerode passes it on), and the call fails even where a call takes no signal.
 */
async function withDeadline<T>(ms: number, late: () => Error, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(late());
    }, ms);
  });
  try {
    return await Promise.race([f(abort.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A container's log as the Engine sends it for a container without a terminal: frames of an 8-byte
 * header (the stream, then the length, big-endian, in its last four bytes) and their bytes, joined
 * in the order they came. A log that is not framed so (a container with a terminal) is taken whole.
 */
export function logText(log: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= log.length && (log[at] === 1 || log[at] === 2) && log.readUIntBE(at + 1, 3) === 0) {
    const size = log.readUInt32BE(at + 4);
    if (at + 8 + size > log.length) break;
    parts.push(log.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return (at === log.length ? Buffer.concat(parts) : log).toString('utf8');
}

export function dockerEngine(dockerHost: string, o: { timeoutMs?: number } = {}): DockerEngine {
  const socketPath = socketPathOf(dockerHost);
  const watchdogs = new Map<string, { disarm(): void }>();
  const timeoutMs = o.timeoutMs ?? engineTimeoutMs();
  // dockerode (with its gRPC and protobuf stack) loads only when the Engine is first asked something.
  let client: Promise<Docker> | undefined;
  const docker = (): Promise<Docker> => (client ??= import('dockerode').then((m) => new m.default({ socketPath })));
  const call = async <T>(
    what: string,
    f: (d: Docker, abortSignal: AbortSignal) => Promise<T>,
    tolerated?: { status: number; value: T },
    graceMs = 0,
  ): Promise<T> => {
    const d = await docker();
    const late = (): Error =>
      new UsageError(`the Docker Engine at ${socketPath} gave no answer within ${formatDuration(timeoutMs + graceMs)} to ${what}`, {
        hint: 'check the Docker daemon (systemctl status docker, its log); if it is only slow, give it longer with DINGO_RECOVER_DOCKER_TIMEOUT=5m, then try again',
      });
    try {
      return await withDeadline(timeoutMs + graceMs, late, (signal) => f(d, signal));
    } catch (err) {
      if (tolerated && statusOf(err) === tolerated.status) return tolerated.value;
      if (err instanceof UsageError) throw err;
      throw explain(socketPath, what, err);
    }
  };
  return {
    where: `docker ${dockerHost}`,
    async listVolumes(): Promise<EngineVolumeList> {
      // The engine answers "Volumes": null when there are none, and "Warnings" null when no driver failed (moby volume/service/store.go list).
      const r = (await call('list volumes', (d, abortSignal) => d.listVolumes({ abortSignal }))) as {
        Volumes: WireVolume[] | null;
        Warnings?: string[] | null;
      };
      return { volumes: (r.Volumes ?? []).map(volumeOf), warnings: r.Warnings ?? [] };
    },
    async listContainers(): Promise<EngineContainer[]> {
      return (await call('list containers', (d, abortSignal) => d.listContainers({ all: true, abortSignal }))).map(containerOf);
    },
    hasImage: (ref: string): Promise<boolean> =>
      // dockerode's image inspect takes no signal: the deadline fails the call all the same.
      call(`inspect image ${ref}`, async (d) => (await d.getImage(ref).inspect(), true), { status: 404, value: false }),
    async createContainer(spec: EngineContainerSpec): Promise<string> {
      const { id } = await call(`create container ${spec.name}`, (d, abortSignal) =>
        d.createContainer({ ...createOptionsOf(spec), abortSignal }),
      );
      watchdogs.set(id, containerWatchdog(socketPath, id));
      return id;
    },
    async startContainer(id: string): Promise<void> {
      await call(`start container ${id}`, (d, abortSignal) => d.getContainer(id).start({ abortSignal }));
    },
    isRunning: (id: string): Promise<boolean> =>
      call(`inspect container ${id}`, async (d, abortSignal) => (await d.getContainer(id).inspect({ abortSignal })).State.Running, {
        status: 404,
        value: false,
      }),
    containerLogs: (id: string, lines: number): Promise<string> =>
      call(
        `read the log of container ${id}`,
        async (d, abortSignal) =>
          logText(await d.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false, abortSignal })),
        { status: 404, value: '' },
      ),
    async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
      // 304: already stopped. The Engine answers once the container stopped, after up to its grace period.
      await call(
        `stop container ${id}`,
        (d, abortSignal) => d.getContainer(id).stop({ t: timeoutSeconds, abortSignal }),
        { status: 304, value: undefined },
        timeoutSeconds * 1000,
      );
    },
    async removeContainer(id: string): Promise<void> {
      await call(`remove container ${id}`, (d, abortSignal) => d.getContainer(id).remove({ v: false, abortSignal }), {
        status: 404,
        value: undefined,
      });
      watchdogs.get(id)?.disarm();
      watchdogs.delete(id);
    },
  };
}
