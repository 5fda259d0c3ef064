/**
 * A test's own PostgreSQL (a generated archive's server, a volume's cluster filled with data), with the
 * life every scratch server of the tool has (systems/postgres/scratch.ts): a sandbox with an account of
 * its own around its data folder, which is that account's while the sandbox is open; its clients run
 * in the sandbox as that account, over its socket (no TCP); `close` stops it, ends the sandbox and
 * gives the folders back to root, whatever failed. Its postmaster is in the run's registry while it
 * runs (server-registry.ts), and its socket folder and log are in a folder of ours the sandbox does
 * not reach, removed by `close`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connArgs, openSandbox, openScratch, SANDBOX_SOCKET_DIR, SCRATCH_PORT, waitAccepting } from '../../src/systems/postgres/index.js';
import type { Postmaster, Scratch } from '../../src/systems/postgres/index.js';
import { serverEnv } from '../../src/systems/pg-sandbox.js';
import { runOk } from '../../src/systems/processes.js';
import { registerServer } from './server-registry.js';

export interface TestPostgresSpec {
  dataDir: string;
  /** The server's bin folder: its programs (pg_resetwal) run inside too. */
  bin: string;
  /** The bin folder of psql (default `bin`'s). */
  clientBin?: string;
  /** Further folders its account writes while it runs (an archive's WAL folder, where a base backup is copied). */
  writable?: string[];
  /** Folders or files it reads (a tenant's library its statements copy). */
  readable?: string[];
  /** postgres -c settings besides its socket's and logins' (fsync, timezone). */
  settings?: [string, string][];
  /** Its log (default in the folder of ours `close` removes). */
  logFile?: string;
  /** More of the environment of the server, its clients and programs than serverEnv's (LOCPATH, libfaketime's). */
  env?: NodeJS.ProcessEnv;
}

export interface TestPostgres {
  readonly scratch: Scratch;
  /** psql -X -q -v ON_ERROR_STOP=1 as postgres on `database` with `args` (and `input` on its standard input): its output. */
  psql(database: string, args: string[], input?: string): Promise<string>;
  /** Runs a program of its bin folder in its sandbox as its account (pg_resetwal on the stopped cluster, initdb in its empty data folder). */
  run(program: string, args: string[]): Promise<void>;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /**
   * Stops the server: `fast` (a shutdown checkpoint), `immediate` (none, as after a crash, WAL replayed
   * at the next start) or `kill` (SIGKILL to the postmaster: postmaster.pid left, the cluster "in
   * production"); its backends go with its sandbox at `close`.
   */
  stop(how: 'fast' | 'immediate' | 'kill'): Promise<void>;
  /** Stops the server (fast) if it runs, ends the sandbox, gives the folders back to root; safe to call twice. */
  close(): Promise<void>;
}

/** How long a test's server may take to accept connections. */
const START_MS = 60_000;

/** Opens the sandbox around `spec.dataDir` (root's, as freshTestCluster leaves it, or empty for initdb); nothing is started yet. */
export async function openTestPostgres(spec: TestPostgresSpec): Promise<TestPostgres> {
  const own = await mkdtemp(join(tmpdir(), 'dingo-test-pg-'));
  const clientBin = spec.clientBin ?? spec.bin;
  let scratch: Scratch;
  try {
    scratch = await openScratch({
      open: openSandbox,
      dataDir: spec.dataDir,
      socketDir: join(own, 's'),
      writable: spec.writable,
      readable: spec.readable,
      bins: [...new Set([spec.bin, clientBin])],
      logins: ['postgres'],
    });
  } catch (err) {
    await rm(own, { recursive: true, force: true });
    throw err;
  }
  const endpoint = scratch.endpoint(clientBin);
  const env = { ...serverEnv(), ...spec.env };
  let server: Postmaster | undefined;
  let unregister = (): void => undefined;
  /** Marks it stopped in the registry, once. */
  const stopped = (): void => {
    unregister();
    unregister = () => undefined;
  };
  let closing: Promise<void> | undefined;
  const pidOf = async (s: Postmaster): Promise<number> => {
    const pid = await s.pid();
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`the postmaster on ${spec.dataDir} has no PID on this machine`);
    return pid;
  };
  return {
    scratch,
    async psql(database, args, input) {
      const argv = [join(clientBin, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...connArgs(endpoint)];
      const r = await scratch.sandbox.run([...argv, '-U', 'postgres', '-d', database, ...args], { env, stdin: input });
      if (r.code !== 0) throw new Error(`psql on ${spec.dataDir} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    },
    async run(program, args) {
      await scratch.sandbox.runOk([join(spec.bin, program), ...args], { env });
    },
    async start() {
      const settings: [string, string][] = [
        ['listen_addresses', ''],
        ['port', String(SCRATCH_PORT)],
        ['unix_socket_directories', SANDBOX_SOCKET_DIR],
        ['hba_file', scratch.sandbox.hbaFile],
        ['ident_file', scratch.sandbox.identFile],
        ...(spec.settings ?? []),
      ];
      const s = await scratch.start(settings, { kind: 'local', bin: spec.bin, logFile: spec.logFile ?? join(own, 'log'), env: spec.env });
      server = s;
      // The run's registry stops it should the run be interrupted before this does; its command line names the data folder.
      unregister = registerServer('postgres', await pidOf(s), spec.dataDir);
      const ready = await waitAccepting(s, endpoint, START_MS);
      if (ready !== 'ready') {
        const said = await s.lastWords(20);
        await s.stop();
        stopped();
        throw new Error(
          `PostgreSQL on ${spec.dataDir} ${ready === 'exited' ? 'stopped before it accepted connections' : 'did not start in time'}:\n${said}`,
        );
      }
    },
    async stop(how) {
      const s = server;
      if (!s || !(await s.alive())) return;
      if (how !== 'fast') process.kill(await pidOf(s), how === 'kill' ? 'SIGKILL' : 'SIGQUIT');
      // Waits until it is gone: after SIGQUIT or SIGKILL, the fast shutdown it asks for comes too late to matter.
      await s.stop();
      stopped();
    },
    close() {
      closing ??= (async () => {
        try {
          await scratch.close();
          stopped();
        } finally {
          await rm(own, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}

/** Gives those of `paths` that are there (whole trees, links changed and never followed) to `owner`, whose they were before the sandbox's. */
export async function giveBack(owner: { uid: number; gid: number }, paths: string[]): Promise<void> {
  const there = paths.filter((p) => existsSync(p));
  if (there.length) await runOk(['chown', '-R', '-h', '-P', `${owner.uid}:${owner.gid}`, '--', ...there]);
}
