/**
 * Every volume of a Docker host (through the Engine API) or of a folder of volumes, identified
 * without starting anything, the PostgreSQL data folders ranked: those holding user tables first,
 * then the newest checkpoint.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerEngine, EngineContainer } from '../core/seams.js';
import { identify, type Identified } from './identify.js';
import { mapLimit } from '../core/concurrency.js';
import { UsageError } from '../core/errors.js';
import { headOf } from '../core/read-regular.js';
import { oneLine } from '../core/display.js';
import { engineVolumeFolder, engineVolumesRoot, LOCAL_DRIVER, volumeFolder } from './volume-scope.js';

export interface VolumeReport extends Identified {
  name: string;
  /** The folder that holds the volume's data (what was read). */
  path: string;
  createdAt: string | null;
  /**
   * What createdAt is: the folder's birth time, or its ctime (what the local driver reports as CreatedAt,
   * moby volume/local/local_unix.go: changed by every file made or removed in it), or a plugin's word.
   */
  createdAtIs: TimeOfVolume;
  /** Compose project and volume names, when the volume carries compose's labels. */
  compose: { project?: string; volume?: string; service?: string };
  labels: Record<string, string>;
  /** The Engine's volume driver, when the Engine listed it. */
  driver?: string;
  /** An anonymous volume: labelled so (Engine 23+), or named by 64 hex digits as the Engine names one. */
  anonymous: boolean;
  /** Containers still using the volume, with their state. */
  usedBy: { name: string; state: string; image: string }[];
  /** 1 for the best PostgreSQL candidate, 2 for the next… ; absent for anything else. */
  rank?: number;
}

export interface FindResult {
  source: string;
  volumes: VolumeReport[];
  /** PostgreSQL candidates, best first. */
  candidates: VolumeReport[];
  passedOver: { kind: string; count: number }[];
  /** Volumes not read for want of permission: the data may be among them. */
  denied: number;
  /** The Engine's warnings of its list (a volume driver that failed): the list may lack that driver's volumes. */
  warnings: string[];
  durationMs: number;
}

/** What to do when Docker's volumes cannot be read for permission: one wording wherever it is said. */
export const RUN_AS_ROOT = "Docker's volumes are root's alone: run as root (sudo)";

/** The volumes not read for permission, said so that the answer does not read as "no data"; undefined when every one was read. */
export function deniedWarning(r: FindResult): string | undefined {
  if (!r.denied) return undefined;
  return `${r.denied} volume(s) could not be read (permission denied): the PostgreSQL data may be among them. ${RUN_AS_ROOT}`;
}

/** The Engine's warnings of its list, each a line saying the list may lack volumes. */
export function listWarnings(r: FindResult): string[] {
  return r.warnings.map((w) => `the Engine's list of volumes may be incomplete: it warns "${oneLine(w)}"`);
}

/** Why finding nothing is no answer when some volumes could not be read. */
export function nothingReadable(r: FindResult): string {
  return `no PostgreSQL data folder among the ${r.volumes.length - r.denied} volume(s) of ${r.source} that could be read; ${r.denied} could not be read (permission denied), and the data may be among them`;
}

/** Where a volume's time comes from: its folder's birth, its folder's ctime, or its driver. */
type TimeOfVolume = 'birth' | 'ctime' | 'driver';

interface Listed {
  name: string;
  path: string;
  createdAt: string | null;
  createdAtIs: TimeOfVolume;
  labels: Record<string, string>;
  /** Where the local driver mounts the volume's data from, when it is a mount (opts.json, or the engine's Options). */
  mount?: VolumeMount;
  /** What it is when its folder is not read: a link or a path out of the volumes folder, or another driver's. */
  notRead?: Identified;
  /** The Engine's volume driver (`local`, or a plugin's). */
  driver?: string;
}

/** The local driver's mount of a volume (moby volume/local/local.go optsConfig: MountType, MountOpts, MountDevice). */
interface VolumeMount {
  type?: string;
  device?: string;
  options?: string;
}

/** The mount a volume's opts.json names, if any: a small regular file inside the volume's folder, never followed. */
async function mountOf(dir: string): Promise<VolumeMount | undefined> {
  try {
    const opts = JSON.parse((await headOf(join(dir, 'opts.json'), dir, 64 * 1024)).toString('utf8')) as Record<string, unknown>;
    const text = (k: string): string | undefined => (typeof opts[k] === 'string' && opts[k] ? opts[k] : undefined);
    const mount = { type: text('MountType'), device: text('MountDevice'), options: text('MountOpts') };
    return mount.device ? mount : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An empty volume the local driver mounts: `_data` holds the data only while a container uses it
 * (moby volume/local/local_unix.go: mounted on first use, unmounted after the last), so it is said where the data is.
 */
function mountedFrom(mount: VolumeMount): string {
  const how = [mount.type && `type ${mount.type}`, mount.options && `options ${mount.options}`].filter(Boolean).join(', ');
  return `the local driver mounts ${mount.device}${how ? ` (${how})` : ''} on it only while a container uses it: the data is there, not here`;
}

const linkOut = (why: string): Identified => ({ kind: 'link', detail: why });

/**
 * A volume of a plugin's driver: its data is in the plugin's storage (an EBS disk, NFS, a cloud's),
 * and its Mountpoint is empty until the plugin mounts it (moby volume/service/convert.go: CachedPath).
 */
function pluginVolume(driver: string): Identified {
  return { kind: 'plugin', detail: `driver ${oneLine(driver)}: its data lives in the plugin's storage, not readable here` };
}

/** Why a folder of volumes cannot be listed, in words. */
function unlistable(root: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: `there is no folder ${root}`,
    ENOTDIR: `${root} is a file, not a folder of volumes`,
    ELOOP: `${root} is a symbolic link that loops`,
    EACCES: `${root} cannot be read: permission denied (${RUN_AS_ROOT})`,
  };
  return new UsageError(why[code ?? ''] ?? `${root} cannot be listed: ${code ?? String(err)}`, {
    hint: 'give the folder that holds the volumes: /var/lib/docker/volumes on the Docker host, or a copy of it (or leave --volumes-root out to ask the Docker Engine)',
  });
}

/**
 * A folder of volumes: each entry is a volume, its data in `_data/` (Docker's layout) or in itself.
 * A link to a folder is listed as what it is and never followed (volume-scope.ts).
 */
async function listFolder(root: string): Promise<Listed[]> {
  const all = await readdir(root, { withFileTypes: true }).catch((err: unknown) => {
    throw unlistable(root, err);
  });
  const isFolder = async (e: (typeof all)[number]): Promise<boolean> =>
    e.isDirectory() ||
    (e.isSymbolicLink() &&
      (await stat(join(root, e.name))
        .then((s) => s.isDirectory())
        .catch(() => false)));
  const entries = (await mapLimit(all, 64, async (e) => ((await isFolder(e)) ? e : null))).filter((e) => e !== null);
  return mapLimit(entries, 64, async (e) => {
    const dir = join(root, e.name);
    const scoped = await volumeFolder(root, e.name);
    if ('refused' in scoped)
      return { name: e.name, path: dir, createdAt: null, createdAtIs: 'ctime', labels: {}, notRead: linkOut(scoped.refused) };
    const st = await lstat(dir);
    const born = st.birthtimeMs > 0;
    const mount = await mountOf(dir);
    const createdAt = (born ? st.birthtime : st.ctime).toISOString();
    return { name: e.name, path: scoped.path, createdAt, createdAtIs: born ? 'birth' : 'ctime', labels: {}, ...(mount ? { mount } : {}) };
  });
}

/** The label Engine 23+ gives an anonymous volume. */
const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

const ENGINE_ID = /^[0-9a-f]{64}$/;
const isAnonymous = (name: string, labels: Record<string, string>): boolean => ANONYMOUS_LABEL in labels || ENGINE_ID.test(name);

/** A volume's name as a command names it: an Engine's 64-hex id by its first 12 digits (as docker shows it, a prefix `look` takes), any other whole. */
export const volumeArg = (name: string): string => (ENGINE_ID.test(name) ? name.slice(0, 12) : name);

/** A volume's name for the screen: volumeArg's, on one line. */
export const volumeShownName = (name: string): string => oneLine(volumeArg(name));

function composeOf(labels: Record<string, string>): VolumeReport['compose'] {
  return {
    project: labels['com.docker.compose.project'],
    volume: labels['com.docker.compose.volume'],
    service: labels['com.docker.compose.service'],
  };
}

/**
 * Best first: a cluster holding user tables before a fresh one (the empty cluster the next `up`
 * creates is the newest of all), then the newest checkpoint, the newest WAL write, the largest.
 */
function compareCandidates(a: VolumeReport, b: VolumeReport): number {
  const t = (v: VolumeReport, f: 'checkpointAt' | 'modifiedAt'): number => Date.parse(v.postgres?.control?.[f] ?? '') || 0;
  const used = (v: VolumeReport): number => ((v.postgres?.userData.relations ?? 0) > 0 ? 1 : 0);
  return (
    used(b) - used(a) ||
    t(b, 'checkpointAt') - t(a, 'checkpointAt') ||
    (Date.parse(b.postgres?.lastWalWriteAt ?? '') || 0) - (Date.parse(a.postgres?.lastWalWriteAt ?? '') || 0) ||
    (b.postgres?.sizeBytes ?? 0) - (a.postgres?.sizeBytes ?? 0) ||
    a.name.localeCompare(b.name)
  );
}

export interface FindOptions {
  /** Read this folder of volumes instead of asking the engine. */
  volumesRoot?: string;
  engine?: DockerEngine;
  /** Where server binaries are looked for (default /usr/lib/postgresql). */
  binRoot?: string;
  concurrency?: number;
}

export async function findVolumes(opts: FindOptions): Promise<FindResult> {
  const started = performance.now();
  let listed: Listed[];
  let containers: EngineContainer[] = [];
  let source: string;
  let warnings: string[] = [];
  if (opts.volumesRoot) {
    listed = await listFolder(opts.volumesRoot);
    source = opts.volumesRoot;
    if (opts.engine) containers = await opts.engine.listContainers();
  } else if (opts.engine) {
    const [list, cs] = await Promise.all([opts.engine.listVolumes(), opts.engine.listContainers()]);
    const volumes = list.volumes;
    containers = cs;
    const root = engineVolumesRoot(volumes);
    listed = await mapLimit(volumes, 64, async (v) => {
      const mount = v.options?.device ? { type: v.options.type, device: v.options.device, options: v.options.o } : undefined;
      const scoped = v.driver === LOCAL_DRIVER ? await engineVolumeFolder(root, v) : { path: v.mountpoint };
      const notRead = v.driver !== LOCAL_DRIVER ? pluginVolume(v.driver) : 'refused' in scoped ? linkOut(scoped.refused) : undefined;
      return {
        name: v.name,
        path: v.mountpoint,
        createdAt: v.createdAt ?? null,
        createdAtIs: v.driver === LOCAL_DRIVER ? ('ctime' as const) : ('driver' as const),
        labels: v.labels,
        driver: v.driver,
        ...(mount ? { mount } : {}),
        ...(notRead ? { notRead } : {}),
      };
    });
    warnings = list.warnings;
    source = opts.engine.where;
  } else {
    throw new Error('findVolumes needs a volumes folder or a Docker Engine');
  }
  const volumes = await mapLimit(listed, opts.concurrency ?? 32, async (l): Promise<VolumeReport> => {
    const identified = l.notRead ?? (await identify(l.path, { binRoot: opts.binRoot }));
    const id = identified.kind === 'empty' && l.mount ? { ...identified, detail: mountedFrom(l.mount) } : identified;
    const usedBy = containers
      .filter((c) => c.mounts.some((m) => (m.type === 'volume' && m.name === l.name) || m.source === l.path))
      .map((c) => ({ name: c.names[0] ?? c.id.slice(0, 12), state: c.state, image: c.image }));
    const driver = l.driver ? { driver: l.driver } : {};
    return {
      ...id,
      name: l.name,
      path: l.path,
      createdAt: l.createdAt,
      createdAtIs: l.createdAtIs,
      compose: composeOf(l.labels),
      labels: l.labels,
      anonymous: isAnonymous(l.name, l.labels),
      usedBy,
      ...driver,
    };
  });
  const candidates = volumes.filter((v) => v.kind === 'postgresql').sort(compareCandidates);
  candidates.forEach((c, i) => (c.rank = i + 1));
  const counts = new Map<string, number>();
  for (const v of volumes) if (v.kind !== 'postgresql') counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
  return {
    source,
    volumes,
    candidates,
    passedOver: [...counts].map(([kind, count]) => ({ kind, count })),
    denied: volumes.filter((v) => v.denied).length,
    warnings,
    durationMs: Math.round(performance.now() - started),
  };
}
