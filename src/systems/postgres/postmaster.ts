/**
 * One scratch server's process, started and stopped: the local server binaries' `postgres` in the
 * foreground inside its sandbox (no pg_ctl: nothing detaches it from us, and its end is seen, not
 * guessed from postmaster.pid, which a server removes before it has exited), its output appended to a
 * log file of ours the sandbox cannot reach; or the `postgres:<major>` image's `postgres` in a
 * container (pg-image.ts) running as the sandbox's account. A stop asks for a fast shutdown, then an
 * immediate one, then kills, and returns once the process (or container) is gone.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { headOf, readLog } from '../../core/read-regular.js';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DockerEngine, ScratchSandbox } from '../../core/seams.js';
import { startInImage, type ImageServer } from '../pg-image.js';
import { postgresArgs, serverEnv } from '../pg-sandbox.js';

/** How the server runs: local binaries, or the image through the Engine. */
export type ServerRun =
  | {
      kind: 'local';
      bin: string;
      logFile: string;
      /** Variables added to serverEnv's (a locale folder's LOCPATH): named by the caller, never taken from the operator's environment. */
      env?: NodeJS.ProcessEnv;
    }
  | {
      kind: 'image';
      engine: DockerEngine;
      major: string;
      /** The container's name and what it is for (its label). */
      name: string;
      purpose: string;
      /** Host folders the server reads, mounted read-only (the WAL a drill fetched). */
      readOnly?: { source: string; target: string }[];
    };

export interface PostmasterSpec {
  sandbox: ScratchSandbox;
  /** The data folder on this machine (in the image: mounted where the image keeps PGDATA). */
  dataDir: string;
  /** The socket folder on this machine, the sandbox's account's (in the image: mounted where the image keeps its socket). */
  socketDir: string;
  /** postgres -c settings, with the paths the server sees. */
  settings: [string, string][];
  run: ServerRun;
}

/** What postmaster.pid says: the postmaster's PID (in its sandbox's namespace) and, from PostgreSQL 10 on, its status. */
export interface PidFile {
  pid: number;
  /** "starting", "stopping", "ready" or "standby" (both accepting connections); null before 10 or not written yet. */
  status: string | null;
}

export interface Postmaster {
  /** "container postgres:15 (abc123def456)"; for local binaries, where they are. */
  readonly how: string;
  alive(): Promise<boolean>;
  /** Its data folder's postmaster.pid, null while there is none. */
  pidFile(): Promise<PidFile | null>;
  /** Its PID on this machine (0 in the image, whose processes are the Engine's). */
  pid(): Promise<number>;
  /** Its last words, for a failure: the log's last lines (local) or the container's. */
  lastWords(lines: number): Promise<string>;
  /** Stops it and waits until it is gone (a stopped one is fine). */
  stop(): Promise<void>;
}

/** How long each kind of shutdown may take before the next is asked. */
const FAST_MS = 30_000;
const IMMEDIATE_MS = 10_000;

/** The last `lines` lines of a text. */
const tail = (text: string, lines: number): string => text.trimEnd().split('\n').slice(-lines).join('\n');

export async function startPostmaster(spec: PostmasterSpec): Promise<Postmaster> {
  const { run } = spec;
  const dataDir = await realpath(spec.dataDir);
  const server = run.kind === 'local' ? startLocal(spec, run) : await startImage(spec, run);
  return { ...server, pidFile: () => readPidFile(dataDir) };
}

/** The most of postmaster.pid read: a few lines, two of them paths of at most MAXPGPATH (1024) bytes. */
const PID_FILE_BYTES = 4096;

/**
 * The postmaster.pid of `dataDir` (a real path), as headOf reads what another account wrote: never
 * through a link, never waiting on a FIFO, never more than its first PID_FILE_BYTES. The server's account
 * writes that folder. A file without a PID, or none that can be read so, is none.
 */
export async function readPidFile(dataDir: string): Promise<PidFile | null> {
  const head = await headOf(join(dataDir, 'postmaster.pid'), dataDir, PID_FILE_BYTES).catch(() => null);
  const lines = head?.toString('utf8').split('\n') ?? [];
  const pid = Number(lines[0]);
  return Number.isInteger(pid) && pid > 0 ? { pid, status: lines[7]?.trim() || null } : null;
}

function startLocal(spec: PostmasterSpec, run: Extract<ServerRun, { kind: 'local' }>): Omit<Postmaster, 'pidFile'> {
  // Opened here, never through a link: the server writes into what we opened, and cannot swap the file.
  const fd = openSync(run.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let proc;
  try {
    proc = spec.sandbox.start([join(run.bin, 'postgres'), '-D', spec.dataDir, ...postgresArgs(spec.settings)], {
      env: { ...serverEnv(), ...run.env },
      output: fd,
    });
  } finally {
    closeSync(fd);
  }
  const server = proc;
  const within = async (ms: number): Promise<boolean> => {
    // The timer goes with the answer: left running, it would keep the tool alive for its whole length.
    const timer = new AbortController();
    const timedOut = delay(ms, false, { signal: timer.signal }).catch(() => false);
    const ended = await Promise.race([server.exited.then(() => true), timedOut]);
    timer.abort();
    return ended;
  };
  return {
    how: `local PostgreSQL (${run.bin})`,
    alive: () => Promise.resolve(server.running()),
    pid: () => server.pid,
    lastWords: async (lines) => tail(await readLog(run.logFile).catch(() => ''), lines),
    async stop() {
      if (!server.running()) return;
      await server.signal('SIGINT');
      if (await within(FAST_MS)) return;
      await server.signal('SIGQUIT');
      if (await within(IMMEDIATE_MS)) return;
      await server.signal('SIGKILL');
      await server.exited;
    },
  };
}

async function startImage(spec: PostmasterSpec, run: Extract<ServerRun, { kind: 'image' }>): Promise<Omit<Postmaster, 'pidFile'>> {
  const server: ImageServer = await startInImage({
    engine: run.engine,
    major: run.major,
    dataDir: spec.dataDir,
    socketDir: spec.socketDir,
    settings: spec.settings,
    readOnly: run.readOnly,
    name: run.name,
    purpose: run.purpose,
    sandbox: spec.sandbox,
  });
  let removed = false;
  return {
    how: server.how,
    alive: async () => !removed && (await run.engine.isRunning(server.id)),
    pid: () => Promise.resolve(0),
    lastWords: (lines) => run.engine.containerLogs(server.id, lines),
    async stop() {
      if (removed) return;
      removed = true;
      await server.remove();
    },
  };
}
