import type { Readable, Writable } from 'node:stream';
import type { OpenLogSource } from './log-source.js';

/**
 * What a command reads on its standard input: text, bytes (a pg_dump file is binary and never
 * decoded as text), or a stream read while the command runs (a file too large to hold in memory;
 * it can be read only once, so a command fed by one is never retried).
 */
export type StdinData = string | Buffer | Readable;

/** A command to run, locally (cf, bosh) or on a cell over SSH (docker, mv, ...). */
export interface CommandSpec {
  /** Program and arguments exactly as they run. */
  argv: string[];
  /** Extra environment. Values may be secrets: they are redacted before anything records them. */
  env?: Record<string, string>;
  /** Written to the command's standard input. */
  stdin?: StdinData;
  /** True when the command changes the platform (create, stop, move...), false for reads. */
  writes: boolean;
  /** Run through `sudo -n` (remote commands only). */
  sudo?: boolean;
  /** Give up after this long; the result then has exitCode 124 and timedOut set. */
  timeoutMs?: number;
  /**
   * Where the command's standard output goes as it comes (a table's rows: more than memory holds),
   * waiting while it is full; never ended by the runner, and the result's `stdout` is then empty. A
   * runner that cannot stream (v1's bosh ssh, a simulation) leaves it untouched and returns
   * the output whole in `stdout`, so the caller writes what the result holds after what came. Read
   * once, it is never run again on a lost connection.
   */
  stdout?: Writable;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut?: boolean;
}

/** Runs commands somewhere: the operator's machine, a cell over SSH, or a simulation. */
export interface CommandRunner {
  /** Where commands run, for messages ("local", "cell 10.58.111.150 via jumpbox"). */
  readonly where: string;
  run(spec: CommandSpec): Promise<CommandResult>;
}

/** One object in an S3-compatible store. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** ETag without quotes; multipart ETags keep their `-N` suffix. */
  etag: string;
  lastModified: Date;
}

export interface ObjectRef {
  bucket: string;
  key: string;
}

/** The S3 seam. Keys are full keys within the bucket. */
export interface ObjectStore {
  /** Endpoint description for messages, e.g. "s3 us-east-1" or "simulated s3". */
  readonly where: string;
  /**
   * Every object under a prefix, paginated internally, in key order; with `startAfter`, only the
   * keys after it (S3's StartAfter: listings that split the key space). A store may ignore
   * `startAfter`: a caller that splits checks the keys it gets.
   */
  list(bucket: string, prefix: string, opts?: { startAfter?: string }): AsyncIterable<ObjectInfo>;
  head(ref: ObjectRef): Promise<ObjectInfo | null>;
  /** Whole body of a small object (sentinel, sysid, extended_version.txt). */
  get(ref: ObjectRef): Promise<Buffer>;
  /** Streamed body of a large object (tar partitions, WAL segments). */
  getStream(ref: ObjectRef): Promise<Readable>;
  put(ref: ObjectRef, body: Buffer | string): Promise<ObjectInfo>;
  /** Server-side copy; `size` lets the implementation choose multipart copy above 5 GiB. */
  copy(from: ObjectRef, to: ObjectRef, size: number): Promise<ObjectInfo>;
  /** Delete keys (batched by the implementation). */
  deleteMany(bucket: string, keys: string[]): Promise<void>;
}

/** etcd v2 keys, as Dingo's patroni containers use them. */
export interface EtcdKeys {
  readonly where: string;
  /** Value of a key, or null when it does not exist. */
  get(key: string): Promise<string | null>;
  /** Delete a key; "absent" when there was nothing to delete. */
  delete(key: string): Promise<'deleted' | 'absent'>;
}

/** A connection to one cell VM. */
export interface CellSession extends CommandRunner {
  /** etcd as seen from the cell (e.g. through an SSH port forward to ETCD_HOST_PORT). */
  etcd(hostPort: string): Promise<EtcdKeys>;
  /**
   * A rehearsal's cell: whether the container's database is the simulation's, which answers a
   * recovery's questions but holds no rows (a scenario's `postgres:` container is a real server).
   * Absent on a live cell, whose databases are all real.
   */
  simulatesRows?(container: string): boolean;
  close(): Promise<void>;
}

export interface CellAccess {
  open(cellIp: string): Promise<CellSession>;
}

/** The whole platform as one bundle: the single place tests and rehearsals swap systems. */
export interface Platform {
  readonly mode: 'live' | 'rehearsal';
  /** A rehearsal's scenario folder: a command it prints for the operator (a drill) names it, to read the same simulated S3. */
  readonly scenario?: string;
  /** Runs the `cf` CLI (argv[0] is the binary). */
  readonly cf: CommandRunner;
  /** Runs the `bosh` CLI (argv[0] is the binary). */
  readonly bosh: CommandRunner;
  readonly cells: CellAccess;
  readonly s3: ObjectStore;
  /**
   * The logs to search, from the files and cluster a run was given: the one place a live run, a
   * rehearsal (which adds its simulated platform's own log) and a test choose where lines come from.
   */
  readonly openLogs: OpenLogSource;
  /** The programs a drill or a scratch server runs on this machine. */
  readonly processes: LocalProcesses;
  /** The Docker Engine at a host of this machine (unix://…): a volume's, or the one a scratch server's image runs on. */
  dockerEngine(host: string): DockerEngine;
  /** At the end of each of a run's processes; `runDone`: the run is finished, and will not be resumed. */
  close(end?: { runDone: boolean }): Promise<void>;
}

/** A client command run in a container's PostgreSQL: `docker exec … psql|pg_restore`, as the adapters build it. */
export interface ContainerClientCall {
  program: 'psql' | 'pg_restore';
  /** true: as the container's postgres OS account over its socket; false: a role's password first on standard input. */
  local: boolean;
  args: string[];
  /** What `env NAME=VALUE…` before the command sets (PGOPTIONS). */
  env: string[];
}

/** A rehearsal container whose database is a real PostgreSQL on this machine (a scenario's `postgres: { seed }`). */
export interface ContainerServer {
  /** The container's name: one server per container, per run. */
  name: string;
  /** Its PostgreSQL major version, from its image's tag. */
  major: string;
  /** The container's environment: the roles and passwords the broker gave it. */
  env: Record<string, string>;
  /** SQL the superuser runs once, when the server is first made, each statement a transaction: the database as the scenario has it. */
  seed: string;
  /** The transaction id the seed's first statement gets, as the archive's cluster numbered its transactions (pg_resetwal -x). */
  nextXid?: number;
}

/** Real PostgreSQL servers behind a rehearsal's simulated containers, started when first used, stopped on close. */
export interface ContainerServers {
  exec(server: ContainerServer, call: ContainerClientCall, input: Buffer): Promise<CommandResult>;
  /** Stops the servers; `removeData`: their data goes too (the run is finished), else it is kept for the run's next process. */
  close(removeData?: boolean): Promise<void>;
}

/** The account a local program runs as (PostgreSQL refuses root). */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

export interface ProcOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  as?: RunAs;
  stdin?: string | Buffer;
}

export interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One program of a pipeline. */
export interface PipeStage {
  argv: string[];
  opts?: ProcOptions;
}

/**
 * Programs on the operator's machine: the drill's pg_ctl, psql, lzop and tar, and the
 * restore_command check. One seam, so a recovery run can journal what it runs here.
 */
export interface LocalProcesses {
  /** Run to completion, capturing output; never throws for a non-zero exit. */
  run(argv: string[], opts?: ProcOptions): Promise<ProcResult>;
  /** Like run(), but throws with the program's stderr when it exits non-zero. */
  runOk(argv: string[], opts?: ProcOptions): Promise<ProcResult>;
  /** Stream `source` through the programs into `sink`; rejects naming the first that failed. */
  pipeThrough(source: Readable, stages: PipeStage[], sink?: Writable): Promise<void>;
  /** The unprivileged account of its own a scratch PostgreSQL on a tenant's data runs as (systems/scratch-account.ts). */
  scratchAccount(): RunAs;
}

/** A Docker volume as the Engine API lists it (GET /volumes). */
export interface EngineVolume {
  name: string;
  driver: string;
  /** Host folder of the volume's data (…/volumes/NAME/_data for the local driver). */
  mountpoint: string;
  /** RFC 3339, when the engine reports it. */
  createdAt?: string;
  labels: Record<string, string>;
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
  labels?: Record<string, string>;
}

/** The Docker Engine on this host, through its API. */
export interface DockerEngine {
  readonly where: string;
  listVolumes(): Promise<EngineVolume[]>;
  listContainers(): Promise<EngineContainer[]>;
  /** Whether the image is present locally (nothing is pulled). */
  hasImage(ref: string): Promise<boolean>;
  /** A small text file of the image (e.g. /etc/passwd), read from a container that is created, never started, and removed. */
  readImageFile(ref: string, path: string): Promise<string>;
  createContainer(spec: EngineContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Whether the container is running (false once it exited or is gone). */
  isRunning(id: string): Promise<boolean>;
  /** The last `lines` lines the container wrote, standard output and error as they came ('' when it is gone). */
  containerLogs(id: string, lines: number): Promise<string>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
}
