/**
 * A scratch PostgreSQL in the `postgres:<major>` image through the Docker Engine, for data of a major
 * version this machine has no server binaries for, or that the local server cannot open (volumes look,
 * drill, restore-to-time). The data folder (ours) is bind-mounted where the image keeps PGDATA, and the
 * server's socket folder where the image keeps its socket. The container runs `postgres` itself (none
 * of the image's scripts) as the account of the server's sandbox (systems/postgres/sandbox.ts), a uid
 * of its own that owns the two folders, never root nor the image's postgres user (which every
 * container of the image shares); it sees the sandbox's passwd and group files and login rules, so the
 * same peer login holds in it as in a local server. It has no network, no capability, no new
 * privileges, a read-only root filesystem, no published port and no environment of ours
 * (systems/docker-engine.ts), so no credential reaches it and what runs in it can reach nothing but
 * those folders. Nothing is pulled; a container is stopped and removed with the server, never left
 * behind.
 */
import { StepFailed } from '../core/errors.js';
import type { DockerEngine, EngineContainerSpec, ScratchSandbox } from '../core/seams.js';
import { PURPOSE_LABEL } from './docker-engine.js';
import { postgresArgs } from './pg-sandbox.js';

/** Where the image keeps PGDATA. */
export const IMAGE_DATA_DIR = '/var/lib/postgresql/data';
/** Where the image's server puts its socket: the server's socket folder is bind-mounted there. */
export const IMAGE_SOCKET_DIR = '/var/run/postgresql';

export interface ImageServerSpec {
  engine: DockerEngine;
  major: string;
  /** The host data folder, bind-mounted at IMAGE_DATA_DIR. */
  dataDir: string;
  /** The server's socket folder (its account's, 0700), bind-mounted at IMAGE_SOCKET_DIR. */
  socketDir: string;
  /** The server's settings, with the container's paths (postgres -c, no shell in between). */
  settings: [string, string][];
  /** Further host folders the server reads (e.g. the WAL a drill fetched), mounted read-only. */
  readOnly?: { source: string; target: string }[];
  /** The container's name (unique on the host) and what it is for (its label). */
  name: string;
  purpose: string;
  /** The sandbox whose account the server runs as, and whose passwd, group and login rules it sees. */
  sandbox: ScratchSandbox;
}

export interface ImageServer {
  id: string;
  /** "container postgres:15 (abc123def456)" */
  how: string;
  /** Stops and removes the container (an already stopped or removed one is fine). */
  remove: () => Promise<void>;
}

/** The image name for a major, refused with what to do when it is not on the host (nothing is pulled). */
export async function requireImage(engine: DockerEngine, major: string): Promise<string> {
  const image = `postgres:${major}`;
  if (!(await engine.hasImage(image))) {
    throw new StepFailed(`the image ${image} is not on this host and PostgreSQL ${major} is not installed`, {
      hint: `docker pull ${image} (or install postgresql-${major} here, e.g. apt-get install postgresql-${major} from apt.postgresql.org), then run this again`,
    });
  }
  return image;
}

/** Creates and starts the container; one that does not start is removed before the error is thrown. */
export async function startInImage(s: ImageServerSpec): Promise<ImageServer> {
  const image = await requireImage(s.engine, s.major);
  const { account, passwdFile, groupFile, authFolder, hbaFile } = s.sandbox;
  const spec: EngineContainerSpec = {
    name: s.name,
    image,
    entrypoint: ['postgres'],
    cmd: ['-D', IMAGE_DATA_DIR, ...postgresArgs(s.settings)],
    user: `${account.uid}:${account.gid}`,
    binds: [
      { source: s.dataDir, target: IMAGE_DATA_DIR, readOnly: false },
      { source: s.socketDir, target: IMAGE_SOCKET_DIR, readOnly: false },
      { source: passwdFile, target: '/etc/passwd', readOnly: true },
      { source: groupFile, target: '/etc/group', readOnly: true },
      { source: authFolder, target: hbaFile.slice(0, hbaFile.lastIndexOf('/')), readOnly: true },
      ...(s.readOnly ?? []).map((b) => ({ ...b, readOnly: true })),
    ],
    purpose: s.purpose,
  };
  const id = await s.engine.createContainer(spec);
  const remove = async (): Promise<void> => {
    // The Engine answers 404 to stopping a container that is gone already.
    if (await s.engine.isRunning(id)) await s.engine.stopContainer(id, 30);
    await s.engine.removeContainer(id);
  };
  try {
    await s.engine.startContainer(id);
  } catch (err) {
    await remove().catch(() => undefined);
    throw err;
  }
  return { id, how: `container ${image} (${id.slice(0, 12)})`, remove };
}

/**
 * Containers of ours (our purpose label) that an interrupted attempt left on data under `dir`: the
 * tool was killed before it could remove them, and their server may still run on a copy of the
 * user's database. Each is stopped and removed; what was removed, by name, for the record.
 */
export async function removeContainersOn(engine: DockerEngine, dir: string): Promise<string[]> {
  const under = (source: string): boolean => source === dir || source.startsWith(`${dir}/`);
  const removed: string[] = [];
  for (const c of await engine.listContainers()) {
    if (!c.labels[PURPOSE_LABEL] || !c.mounts.some((m) => under(m.source))) continue;
    if (c.state === 'running') await engine.stopContainer(c.id, 30);
    await engine.removeContainer(c.id);
    removed.push(c.names[0] ?? c.id.slice(0, 12));
  }
  return removed;
}
