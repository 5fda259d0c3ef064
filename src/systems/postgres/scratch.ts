/**
 * One scratch PostgreSQL's life, the same for every use (the drill, the volume look and dump, the
 * restore check, a rehearsal's container): a sandbox with an account of its own is opened around the
 * data folder, which is given to that account for as long as it runs; servers start and stop in it
 * (postmaster.ts), one at a time, and its clients run in it (psql.ts), our statements through the
 * server's psql sessions (psql-sessions.ts), closed before it stops or another starts; `close` stops the server,
 * ends the sandbox with everything the server started, frees the account and gives the folders back
 * to root, so no later server (each another account) could read a copy that is kept.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, StepFailed } from '../../core/errors.js';
import type { RunAs, SandboxSpec, ScratchSandbox } from '../../core/seams.js';
import { runOk } from '../processes.js';
import { startPostmaster, type Postmaster, type ServerRun } from './postmaster.js';
import { accepts, type Endpoint } from './psql.js';
import { PsqlSessions } from './psql-sessions.js';
import { clientEnv } from '../pg-sandbox.js';

/** The port of every scratch server: it names the socket, in a folder of the server's own (nothing listens on TCP). */
export const SCRATCH_PORT = 5432;

export interface ScratchSpec {
  /** Opens the sandbox (LocalProcesses.scratchSandbox). */
  open: (spec: SandboxSpec) => Promise<ScratchSandbox>;
  /** The data folder the server runs on: its account's while it runs. */
  dataDir: string;
  /** The server's socket folder, made if missing: its account's alone (0700). */
  socketDir: string;
  /** Further folders of the account's while it runs (a log folder, a WAL folder it writes). */
  writable?: string[];
  /** Folders it reads that are its account's while it runs, read-only to it (the WAL a drill fetched). */
  ownedReadOnly?: string[];
  /** Folders it reads: the server's binaries and the clients' (`bins`) come in by themselves. */
  readable?: string[];
  /** Server and client bin folders. */
  bins: string[];
  /** The roles its account logs in as. */
  logins: string[];
  /** Whether other roles log in with their passwords. */
  passwords?: boolean;
}

export interface Scratch {
  readonly sandbox: ScratchSandbox;
  readonly account: RunAs;
  readonly socketDir: string;
  /** Where its clients of `clientBin` reach its server. */
  endpoint(clientBin: string): Endpoint;
  /** Starts a server on its data folder (the one before must be stopped). */
  start(settings: [string, string][], run: ServerRun): Promise<Postmaster>;
  /** Stops the server, ends the sandbox and gives its folders back to root; safe to call twice. */
  close(): Promise<void>;
}

/** `server`, whose stop closes the psql sessions to it first. */
function withSessions(server: Postmaster, sessions: PsqlSessions): Postmaster {
  return {
    get how() {
      return server.how;
    },
    alive: () => server.alive(),
    pidFile: () => server.pidFile(),
    pid: () => server.pid(),
    lastWords: (lines) => server.lastWords(lines),
    async stop() {
      await sessions.closeAll();
      await server.stop();
    },
  };
}

/** Gives `paths` (whole trees, links changed and never followed) to `owner`. */
async function give(owner: { uid: number; gid: number }, paths: string[]): Promise<void> {
  if (paths.length) await runOk(['chown', '-R', '-h', '-P', `${owner.uid}:${owner.gid}`, '--', ...paths]);
}

export async function openScratch(spec: ScratchSpec): Promise<Scratch> {
  await mkdir(spec.socketDir, { recursive: true, mode: 0o700 });
  const owned = [spec.dataDir, spec.socketDir, ...(spec.writable ?? []), ...(spec.ownedReadOnly ?? [])];
  const sandbox = await spec.open({
    writable: [spec.dataDir, ...(spec.writable ?? [])],
    readable: [...(spec.ownedReadOnly ?? []), ...(spec.readable ?? [])],
    bins: spec.bins,
    socketDir: spec.socketDir,
    logins: spec.logins,
    passwords: spec.passwords,
  });
  let server: Postmaster | undefined;
  let closing: Promise<void> | undefined;
  // Sessions of one server: closed before it stops, and before another starts.
  const sessions = new PsqlSessions(sandbox);
  try {
    await give(sandbox.account, owned);
  } catch (err) {
    await sandbox.close();
    throw err;
  }
  return {
    sandbox,
    account: sandbox.account,
    socketDir: spec.socketDir,
    endpoint: (clientBin) => ({ sandbox, bin: clientBin, port: SCRATCH_PORT, sessions }),
    async start(settings, run) {
      if (server && (await server.alive())) throw new Error('a scratch server runs on this data folder already');
      // A postmaster.pid here, or the lock file of the socket folder (this scratch's own), was left by a server that
      // ended without removing it (a crash, a kill, its sandbox closed under it): its PID counts in that server's PID
      // namespace and may name a program of this account here (a psql session's, pg_isready's), and PostgreSQL, taking
      // it for a live server, would refuse to start ("lock file ... already exists"). None of ours runs on them now.
      await removeStaleLock(join(spec.dataDir, 'postmaster.pid'));
      await removeStaleLock(join(spec.socketDir, `.s.PGSQL.${String(SCRATCH_PORT)}.lock`));
      await sessions.closeAll();
      server = withSessions(await startPostmaster({ sandbox, dataDir: spec.dataDir, socketDir: spec.socketDir, settings, run }), sessions);
      sessions.serving(run.kind === 'local' ? { postgres: join(run.bin, 'postgres') } : { major: run.major });
      return server;
    },
    close() {
      closing ??= (async () => {
        try {
          // Its stop closes the sessions first (withSessions).
          await server?.stop();
        } finally {
          await sandbox.close();
          // What is still there (a copy kept for a later step) is root's again.
          await give({ uid: 0, gid: 0 }, owned).catch(() => undefined);
        }
      })();
      return closing;
    },
  };
}

/**
 * Whether `server` accepts connections within `timeoutMs`, or ended first: a server that exited is not
 * waited for. Asked every tenth of a second at first, then every half second, of its postmaster.pid
 * (PostgreSQL 10 on says there when it accepts connections), else of pg_isready.
 */
export async function waitAccepting(server: Postmaster, endpoint: Endpoint, timeoutMs: number): Promise<'ready' | 'exited' | 'late'> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const status = (await server.pidFile())?.status;
    if (status ? status === 'ready' || status === 'standby' : await accepts(endpoint, clientEnv())) return 'ready';
    if (!(await server.alive())) return 'exited';
    if (performance.now() > deadline) return 'late';
    await new Promise((res) => setTimeout(res, i < 20 ? 100 : 500));
  }
}

/**
 * Removes a lock file a killed server left. The folders are the sandbox's account's, whose server ran
 * the tenant's SQL: a link there is removed, never what it names; a folder, which no server leaves, is
 * refused by its name and left where it is. One unlink(2) decides both, so nothing can swap the one for
 * the other between a look and the removal.
 */
async function removeStaleLock(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return;
    if (code === 'EISDIR')
      throw new StepFailed(`${file} is a folder, where PostgreSQL keeps its lock file: no server left it there`, {
        hint: "the tenant's SQL, which the scratch server ran on this copy of the tenant's data, may have made it: look at it, move it aside, then resume",
      });
    throw err;
  }
}
