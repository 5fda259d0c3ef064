import type { Readable, Writable } from 'node:stream';
import type { OpenLogSource } from './log-source.js';
import type { DockerEngine } from './docker-engine-seam.js';
import type { LocalProcesses } from './local-processes-seam.js';

export type { DockerEngine, EngineContainer, EngineContainerSpec, EngineVolume, EngineVolumeList } from './docker-engine-seam.js';
export type {
  LocalProcesses,
  PipeStage,
  ProcOptions,
  ProcResult,
  RunAs,
  SandboxRunOptions,
  SandboxSpec,
  SandboxedConversation,
  SandboxedProcess,
  ScratchSandbox,
} from './local-processes-seam.js';

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
  /**
   * About how many bytes a stream on `stdin` gives, when the caller knows: a runner that copies the
   * input to the cell before the command runs (v1's `bosh ssh`) checks the room for it there first.
   */
  stdinBytes?: number;
  /** True when the command changes the platform (create, stop, move...), false for reads. */
  writes: boolean;
  /** Run through `sudo -n` (remote commands only). */
  sudo?: boolean;
  /** Give up after this long; the result then has exitCode 124 and timedOut set. */
  timeoutMs?: number;
  /**
   * Stops the command when aborted, as Ctrl-C stops it (SIGTERM: a program that cleans up on it, as bosh
   * does its session's user, does so), and so does the tool's exit while it runs. Only the operator's machine's
   * runner stops a command this way.
   */
  abort?: AbortSignal;
  /**
   * Where the command's standard output goes as it comes (a table's rows: more than memory holds),
   * waiting while it is full; never ended by the runner, and the result's `stdout` is then empty. A
   * runner that cannot stream (v1's bosh ssh, a simulation) leaves it untouched and returns
   * the output whole in `stdout`, so the caller writes what the result holds after what came. Read
   * once, it is never run again on a lost connection.
   */
  stdout?: Writable;
  /**
   * The call to a container's PostgreSQL this command makes (`docker exec` of psql or pg_restore, its
   * shell text written by the live cell's ContainerDatabase alone): a cell that answers calls rather
   * than running commands (a rehearsal's) answers this, and reads neither the argv nor the standard
   * input: a restore's dump is `dump`, which the live command's input carries after its password line.
   */
  database?: { call: DatabaseCall; dump?: StdinData };
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut?: boolean;
}

/** Who logs in to a container's PostgreSQL. */
export interface DbLogin {
  user: string;
  /** Over 127.0.0.1:5432 with this password (never on a command line). */
  password?: string;
  /** As the container's `postgres` OS account over its local Unix socket, without a password. */
  socket?: boolean;
}

/**
 * psql in a container's database. `query`: one statement (`psql -tAc`), its rows unaligned without
 * headers; `script`: statements read from standard input, quiet, stopping at the first error; `rows`: such
 * a script whose rows are printed unaligned without headers (a merge's reads).
 */
export interface PsqlCall {
  kind: 'psql';
  container: string;
  login: DbLogin;
  /** The database; without it, the container's `postgres`. */
  database?: string;
  mode: 'query' | 'script' | 'rows';
  sql: string;
  /**
   * Whether the session's search_path is pg_catalog alone, set at login over any role's or database's
   * setting: every superuser's session, never that of the role apps bind with (its triggers run with its own).
   */
  catalogOnly: boolean;
}

/**
 * pg_restore of a pg_dump -Fc file into a container's database, in one transaction, stopping at the first
 * error, without the dumped owners and grants: every object is made as `login`.
 */
export interface RestoreCall {
  kind: 'restore';
  container: string;
  login: { user: string; password: string };
  database: string;
  /** The dump's entries to restore (pg_restore -L); none: all of them. */
  entries: number[];
}

export type DatabaseCall = PsqlCall | RestoreCall;

/**
 * The PostgreSQL of a cell's containers, reached with `docker exec`: the one seam through which
 * every step reads and writes a container's database. The live one (adapters/container-database.ts)
 * writes each call as shell text for the cell's docker client; a rehearsal's cell answers the same
 * typed calls (on a real server, or its simulation).
 */
export interface ContainerDatabase {
  /** psql in the container; `stdout`: where its output goes as it comes (CommandSpec.stdout). */
  psql(call: PsqlCall, opts: { writes: boolean; stdout?: Writable }): Promise<CommandResult>;
  /** pg_restore of `dump` (read once: never retried). */
  restore(call: RestoreCall, dump: StdinData): Promise<CommandResult>;
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
  /** A key with the time it has left (a key Patroni keeps alive carries a TTL), or null when it does not exist. */
  read(key: string): Promise<EtcdNode | null>;
  /**
   * Delete a key; "absent" when there was nothing to delete. With `prevValue`, only while the key
   * still holds that value (etcd v2's compare-and-delete, as Patroni's own delete_leader does):
   * "changed" when it holds another.
   */
  delete(key: string, opts?: { prevValue?: string }): Promise<'deleted' | 'absent' | 'changed'>;
  /** Set a key to a value, without a TTL (etcd v2's PUT): as Patroni's own `initialize` key is kept. */
  set(key: string, value: string): Promise<void>;
  /**
   * The keys directly under a directory (Patroni's `/service/<scope>/members`), each full key with its
   * value; null when the directory does not exist. A child that is itself a directory is refused.
   */
  list(dir: string): Promise<Record<string, string> | null>;
}

/** An etcd v2 key: its value, and for a key with a TTL, the seconds it has left and when it expires. */
export interface EtcdNode {
  value: string;
  ttl?: number;
  /** ISO time at which etcd drops the key. */
  expiration?: string;
}

/** A connection to one cell VM. */
export interface CellSession extends CommandRunner {
  /** etcd as seen from the cell (e.g. through an SSH port forward to ETCD_HOST_PORT). */
  etcd(hostPort: string): Promise<EtcdKeys>;
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
  /** Answers a call to the container's database with its server, `dump` a restore's bytes. */
  run(server: ContainerServer, call: DatabaseCall, dump?: Buffer): Promise<CommandResult>;
  /** Stops the servers; `removeData`: their data goes too (the run is finished), else it is kept for the run's next process. */
  close(removeData?: boolean): Promise<void>;
}
