/** The Docker Engine of this machine, through its API: the volumes a lost database may be in, and the scratch containers the tool runs. */
/** A Docker volume as the Engine API lists it (GET /volumes). */
export interface EngineVolume {
  name: string;
  driver: string;
  /** Host folder of the volume's data (…/volumes/NAME/_data for the local driver). */
  mountpoint: string;
  /** RFC 3339, when the engine reports it. */
  createdAt?: string;
  labels: Record<string, string>;
  /** The driver's options (the local driver's type, device and o: a bind or NFS mount made only while a container uses it). */
  options?: Record<string, string>;
}

/** GET /volumes: the volumes, and the Engine's warnings (a driver that failed to list: the list may lack its volumes). */
export interface EngineVolumeList {
  volumes: EngineVolume[];
  warnings: string[];
}

/** A container as GET /containers/json?all=1 lists it, with its mounts. */
export interface EngineContainer {
  id: string;
  names: string[];
  image: string;
  /** running, exited, created, … */
  state: string;
  mounts: { type: string; name?: string; source: string; destination: string; rw: boolean }[];
  labels: Record<string, string>;
}

/**
 * A scratch container: the only kind the tool creates. Whatever the spec, it gets no network, no
 * capability, no new privileges, a read-only root filesystem, no published port and no environment
 * of ours (systems/docker-engine.ts).
 */
export interface EngineContainerSpec {
  name: string;
  image: string;
  /** Replaces the image's entrypoint: the program itself, so no script of the image runs first. */
  entrypoint: string[];
  cmd?: string[];
  /** uid:gid it runs as (never the image's default user, which is root in the official images). */
  user: string;
  /** Host folders bind-mounted into the container. */
  binds: { source: string; target: string; readOnly: boolean }[];
  /** What it is for: its `dingo-recover.purpose` label, which every container of the tool carries, so a leftover is found. */
  purpose: string;
}

/** The Docker Engine on this host, through its API. */
export interface DockerEngine {
  readonly where: string;
  listVolumes(): Promise<EngineVolumeList>;
  listContainers(): Promise<EngineContainer[]>;
  /** Whether the image is present locally (nothing is pulled). */
  hasImage(ref: string): Promise<boolean>;
  createContainer(spec: EngineContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Whether the container is running (false once it exited or is gone). */
  isRunning(id: string): Promise<boolean>;
  /** The last `lines` lines the container wrote, standard output and error as they came ('' when it is gone). */
  containerLogs(id: string, lines: number): Promise<string>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
}
