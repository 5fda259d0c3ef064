/** Programs on the operator's machine, and the scratch PostgreSQL's sandbox (systems/postgres/sandbox.ts): what it sees, and what runs in it. */
import type { Readable, Writable } from 'node:stream';

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
  /** Stream `source` through the programs into `sink` (or an open file the last writes itself); rejects naming the first that failed. */
  pipeThrough(source: Readable, stages: PipeStage[], sink?: Writable | { fd: number }): Promise<void>;
  /**
   * A sandbox for one scratch PostgreSQL on a tenant's data and its clients: a uid of its own and
   * namespaces of its own, seeing only `spec`'s folders (systems/postgres/sandbox.ts).
   */
  scratchSandbox: (spec: SandboxSpec) => Promise<ScratchSandbox>;
}

/** What a sandbox sees of this machine besides the system's programs: everything else is not there. */
export interface SandboxSpec {
  /** Folders it may write (a copy, its socket folder): they must be its account's to be written. */
  writable: string[];
  /** Folders (or files) it may read. */
  readable?: string[];
  /** PostgreSQL bin folders whose programs run inside, with the installs their links lead to. */
  bins?: string[];
  /** The server's socket folder (its account's, 0700), seen inside at SANDBOX_SOCKET_DIR whatever its path outside. */
  socketDir?: string;
  /** The roles its account logs in as (peer login, mapped to that account alone): `ScratchSandbox.permit` adds more. */
  logins?: string[];
  /** Whether every other role logs in with its password (scram-sha-256) rather than not at all. */
  passwords?: boolean;
}

export interface SandboxRunOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string | Buffer;
  /** The working folder inside (default /). */
  cwd?: string;
}

/** A long-running program in a sandbox (a postmaster). */
export interface SandboxedProcess {
  /** Its PID on this machine (0 when it ended before it was seen). */
  readonly pid: Promise<number>;
  /** Its exit code once it ended (null: killed by a signal). */
  readonly exited: Promise<number | null>;
  running(): boolean;
  signal(signal: NodeJS.Signals): Promise<void>;
}

/** A program in a sandbox fed as it runs (a psql session): what it is given, what it says as it comes, its end. */
export interface SandboxedConversation {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Its exit code once it ended and its output was read (null: killed by a signal, or never started). */
  readonly exited: Promise<number | null>;
}

/** One scratch PostgreSQL's sandbox: everything of its account runs in it, and ends with it. */
export interface ScratchSandbox {
  /** The uid and gid everything inside runs as, its own; `dingo-scratch` inside. */
  readonly account: RunAs;
  /** The passwd and group files the sandbox sees as /etc/passwd and /etc/group (a container of the image is given them too). */
  readonly passwdFile: string;
  readonly groupFile: string;
  /** The command line that runs `argv` inside, as its account (nsenter, then setpriv), for whoever spawns it itself. */
  command(argv: string[], cwd?: string): string[];
  run(argv: string[], opts?: SandboxRunOptions): Promise<ProcResult>;
  runOk(argv: string[], opts?: SandboxRunOptions): Promise<ProcResult>;
  /** The server's pg_hba.conf and pg_ident.conf, inside (read-only there), and the folder of ours holding them, outside. */
  readonly hbaFile: string;
  readonly identFile: string;
  readonly authFolder: string;
  /** Lets the account log in as `role` too (read by a server at its next start or reload). */
  permit(role: string): Promise<void>;
  /** A program inside as one stage of `LocalProcesses.pipeThrough`. */
  stage(argv: string[], opts?: SandboxRunOptions): PipeStage;
  /** A program inside that runs on (a postmaster), its standard output and error into the file descriptor `output`. */
  start(argv: string[], opts: { env?: NodeJS.ProcessEnv; output: number }): SandboxedProcess;
  /** A program inside that reads its standard input as it is written and answers on its output (a psql session). */
  converse(argv: string[], opts?: { env?: NodeJS.ProcessEnv }): SandboxedConversation;
  /** Ends everything inside (SIGKILL to what is left) and frees the account. */
  close(): Promise<void>;
}
