/**
 * The Docker Engine of this host through its API on the unix socket, with dockerode (the Engine API
 * client most Node tools use). Only what finding and inspecting lost volumes needs: list volumes and
 * containers, and run a throwaway container on a bind-mounted copy. Nothing is pulled.
 */
import Docker from 'dockerode';
import { UsageError } from '../core/errors.js';
import type { DockerEngine, EngineContainer, EngineContainerSpec, EngineVolume } from '../core/seams.js';

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

export function dockerEngine(dockerHost: string): DockerEngine {
  const socketPath = socketPathOf(dockerHost);
  const docker = new Docker({ socketPath });
  const where = `docker ${dockerHost}`;
  const explain = (what: string, err: unknown): Error => {
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
  };
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw explain(what, err);
    }
  };
  return {
    where,
    async listVolumes(): Promise<EngineVolume[]> {
      // The engine answers "Volumes": null when there are none, and older ones leave Labels null.
      const r = (await call('list volumes', () => docker.listVolumes())) as { Volumes: Docker.VolumeInspectInfo[] | null };
      return (r.Volumes ?? []).map((v) => ({
        name: v.Name,
        driver: v.Driver,
        mountpoint: v.Mountpoint,
        createdAt: (v as { CreatedAt?: string }).CreatedAt,
        labels: (v.Labels as Record<string, string> | null) ?? {},
      }));
    },
    async listContainers(): Promise<EngineContainer[]> {
      const list = await call('list containers', () => docker.listContainers({ all: true }));
      return list.map((c) => ({
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
      }));
    },
    async hasImage(ref: string): Promise<boolean> {
      try {
        await docker.getImage(ref).inspect();
        return true;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw explain(`inspect image ${ref}`, err);
      }
    },
    async createContainer(spec: EngineContainerSpec): Promise<string> {
      const port = spec.publish ? `${spec.publish.containerPort}/tcp` : undefined;
      const c = await call(`create container ${spec.name}`, () =>
        docker.createContainer({
          name: spec.name,
          Image: spec.image,
          Cmd: spec.cmd,
          Env: spec.env,
          Labels: spec.labels,
          ExposedPorts: port ? { [port]: {} } : undefined,
          HostConfig: {
            Binds: spec.binds.map((b) => `${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`),
            PortBindings: port && spec.publish ? { [port]: [{ HostIp: '127.0.0.1', HostPort: String(spec.publish.hostPort) }] } : undefined,
            NetworkMode: 'bridge',
          },
        }),
      );
      return c.id;
    },
    async startContainer(id: string): Promise<void> {
      await call(`start container ${id}`, () => docker.getContainer(id).start());
    },
    async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
      try {
        await docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (err) {
        if (statusOf(err) === 304) return; // already stopped
        throw explain(`stop container ${id}`, err);
      }
    },
    async removeContainer(id: string): Promise<void> {
      try {
        await docker.getContainer(id).remove({ v: false });
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw explain(`remove container ${id}`, err);
      }
    },
  };
}
