/**
 * The real PostgreSQL behind a rehearsal's simulated container (a scenario's `postgres: { seed }`):
 * this machine's server binaries of the container's major, run by the one scratch-server life of
 * systems/postgres/ (a sandbox with an account of its own, its clients inside it too), on a data folder
 * of the run's in the scratch folder (`dingo-world-<run-id>/<container>/`), kept across the run's
 * processes as the rest of its world is, and removed once the run is finished. The first time, the
 * cluster is copied from the major's template, the container's roles created with the passwords of its
 * environment (on standard input, never on a command line) and the scenario's seed run by the
 * superuser. A call to the container's database (core/seams.ts DatabaseCall: psql or pg_restore as a
 * login) runs in the sandbox against that server with the options the live container is given
 * (adapters/container-database.ts), its 127.0.0.1:5432 this server's socket. Its account logs in as
 * `postgres` by peer; every other role gives its password (scram-sha-256), as a patroni container's
 * local lines ask. Nothing runs as root: psql runs what a script tells it to (`\!`), and a
 * container's root is no root of this machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import type { CommandResult, ContainerServer, ContainerServers, DatabaseCall, LocalProcesses } from '../core/seams.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import { psqlArgs, restoreArgs } from '../adapters/container-database.js';
import { patroniRoles } from '../adapters/container-roles.js';
import { useList } from '../adapters/pg-load-plan.js';
import { pathIs, serverRoot } from './pg-install.js';
import {
  freshCluster,
  openScratch,
  SANDBOX_SOCKET_DIR,
  SCRATCH_PORT,
  waitAccepting,
  type Postmaster,
  type Scratch,
} from './postgres/index.js';
import { madeOwnFolder } from '../core/own-folder.js';

/**
 * `sh -c RESTORE_WITH_LIST sh LIST PG_RESTORE ARGS…`: pg_restore of its standard input with LIST (the
 * dump ids to restore, one a line; none: all) as its -L file, one of the sandbox's own that goes when
 * the shell ends. The exit status is pg_restore's.
 */
const RESTORE_WITH_LIST = `l=$(mktemp) || exit 1; trap 'rm -f "$l"' EXIT; printf '%s' "$1" > "$l"; shift; p=$1; shift; if [ -s "$l" ]; then set -- -L "$l" "$@"; fi; "$p" "$@"`;

interface Running {
  bin: string;
  home: string;
  dataDir: string;
  scratch: Scratch;
  postmaster?: Postmaster;
}

/**
 * The roles the container's Patroni creates, with their passwords, as SQL: the broker's (its
 * environment), or the image's defaults when it gave none (adapters/container-roles.ts), the admin's
 * password then drawn at random as run.sh's pwgen does.
 */
export function rolesSql(env: Record<string, string>): string {
  const attrs = { SUPERUSER: 'SUPERUSER', ADMIN: 'CREATEDB CREATEROLE', APPUSER: '' } as const;
  return patroniRoles(env, () => randomBytes(12).toString('base64url'))
    .map((r) => `CREATE ROLE ${sqlIdent(r.role)} LOGIN ${attrs[r.kind]} PASSWORD ${sqlLiteral(r.password)};`)
    .join('\n');
}

/** The servers of one run's world, its folder `folder` (`<scratch>/dingo-world-<run-id>`). */
export function containerServers(processes: LocalProcesses, folder: string): ContainerServers {
  const running = new Map<string, Running>();

  /** The run's world folder, made if need be: ours, a folder (a link or another user's of that name in the temp folder is refused). */
  async function ourFolder(): Promise<void> {
    if (!(await madeOwnFolder(folder, 0o700))) {
      throw new StepFailed(`${folder} is not a folder this tool made: the rehearsal's live database cannot go there`, {
        hint: `move ${folder} aside (it may be another user's), then resume`,
      });
    }
  }

  async function asRunning(s: ContainerServer): Promise<Running> {
    const known = running.get(s.name);
    if (known) return known;
    // Docker's rule for a container's name, which names its folder here.
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s.name)) throw new StepFailed(`${JSON.stringify(s.name)} is not a container's name`);
    const bin = join(serverRoot(), s.major, 'bin');
    const needed = ['initdb', 'pg_resetwal', 'postgres', 'psql', 'pg_restore', 'pg_isready'];
    if (!(await Promise.all(needed.map((p) => pathIs(join(bin, p), 'executable')))).every(Boolean)) {
      throw new StepFailed(
        `the scenario's container ${s.name} runs PostgreSQL ${s.major}, whose server is not installed on this machine (${bin})`,
        { hint: `install PostgreSQL ${s.major}'s server (Debian: apt-get install postgresql-${s.major}), then resume` },
      );
    }
    await ourFolder();
    const home = join(folder, s.name);
    await mkdir(home, { recursive: true, mode: 0o700 });
    const dataDir = join(home, 'data');
    // Made once, seed and all: a cluster an interrupted first start left half made is made again.
    const made = join(home, 'made');
    const fresh = !(await pathIs(made, 'exists'));
    if (fresh) {
      await rm(dataDir, { recursive: true, force: true });
      await freshCluster(processes.scratchSandbox, bin, dataDir);
    }
    const scratch = await openScratch({
      open: processes.scratchSandbox,
      dataDir,
      socketDir: join(home, 'sock'),
      bins: [bin],
      logins: ['postgres'],
      passwords: true,
    });
    const server: Running = { bin, home, dataDir, scratch };
    try {
      await start(server);
    } catch (err) {
      await scratch.close();
      throw new StepFailed(`the PostgreSQL ${s.major} of the scenario's container ${s.name} did not start: ${(err as Error).message}`, {
        hint: `its log is ${join(home, 'server.log')}; fix what it says, then resume`,
      });
    }
    running.set(s.name, server);
    if (fresh) {
      try {
        const psql = [
          join(bin, 'psql'),
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          SANDBOX_SOCKET_DIR,
          '-p',
          String(SCRATCH_PORT),
          '-U',
          'postgres',
        ];
        const inside = (argv: string[], stdin: string | Buffer) => scratch.sandbox.runOk(argv, { stdin });
        // PostgreSQL 9.5, Dingo's, lets every role create in public; 15 no longer does.
        const publicCreate = 'GRANT CREATE ON SCHEMA public TO PUBLIC;';
        await inside([...psql, '-d', 'template1'], `${publicCreate}\n`);
        await inside([...psql, '-d', 'postgres'], `${rolesSql(s.env)}\n${publicCreate}\n`);
        if (s.nextXid) await numberFrom(server, s.nextXid, [...psql, '-d', 'postgres']);
        // Read here and handed over: psql, which runs a script's \! too, runs in the sandbox as its account, never root.
        await inside([...psql, '-d', 'postgres'], await readFile(s.seed));
        await writeFile(made, '');
      } catch (err) {
        // Made again from the start next time: the cluster is the world's own, nothing of anyone's.
        await stop(s.name);
        await rm(dataDir, { recursive: true, force: true });
        throw new StepFailed(`the scenario's container ${s.name}: its database could not be made: ${(err as Error).message}`, {
          hint: `check the seed ${s.seed}, then resume`,
        });
      }
    }
    return server;
  }

  /**
   * The cluster's next transaction is `xid` (pg_resetwal -x, the server stopped for it): past every
   * transaction it has used, and on pg_xact's first page, which a new cluster has (under 32768).
   */
  async function numberFrom(server: Running, xid: number, psql: string[]): Promise<void> {
    const { sandbox } = server.scratch;
    const used = Number((await sandbox.runOk([...psql, '-At', '-c', 'select txid_current()'])).stdout.trim());
    if (!(xid > used && xid < 32768))
      throw new Error(`nextXid ${xid} is not between the transactions the new cluster used (${used}) and 32768`);
    await server.postmaster?.stop();
    await sandbox.runOk([join(server.bin, 'pg_resetwal'), '-x', String(xid), '-D', server.dataDir]);
    await start(server);
  }

  /** Starts the server on its data, its socket in its sandbox's socket folder alone, its log beside its data; once it accepts connections. */
  async function start(server: Running): Promise<void> {
    const { sandbox } = server.scratch;
    const settings: [string, string][] = [
      ['port', String(SCRATCH_PORT)],
      ['unix_socket_directories', SANDBOX_SOCKET_DIR],
      ['listen_addresses', ''],
      ['hba_file', sandbox.hbaFile],
      ['ident_file', sandbox.identFile],
      ['fsync', 'off'],
      ['timezone', 'UTC'],
    ];
    const postmaster = await server.scratch.start(settings, { kind: 'local', bin: server.bin, logFile: join(server.home, 'server.log') });
    server.postmaster = postmaster;
    const ready = await waitAccepting(postmaster, server.scratch.endpoint(server.bin), 60_000);
    if (ready !== 'ready')
      throw new Error((await postmaster.lastWords(3)) || `it ${ready === 'exited' ? 'stopped' : 'did not answer in time'}`);
  }

  async function stop(name: string): Promise<void> {
    const server = running.get(name);
    if (!server) return;
    running.delete(name);
    await server.scratch.close();
  }

  return {
    async run(s: ContainerServer, call: DatabaseCall, dump?: Buffer): Promise<CommandResult> {
      const server = await asRunning(s);
      const { login } = call;
      // The container's 127.0.0.1:5432 is this server's socket: a role's password is asked there (scram-sha-256), postgres's account is let in by peer.
      const connect = ['-h', SANDBOX_SOCKET_DIR, '-p', String(SCRATCH_PORT), '-U', login.user];
      const env: NodeJS.ProcessEnv = {
        PATH: `${server.bin}:/usr/bin:/bin`,
        ...(login.password !== undefined && { PGPASSWORD: login.password }),
        ...(call.kind === 'psql' && call.catalogOnly && { PGOPTIONS: '-c search_path=pg_catalog' }),
      };
      let argv: string[];
      let stdin: string | Buffer;
      if (call.kind === 'psql') {
        const { args, input } = psqlArgs(call);
        argv = [join(server.bin, 'psql'), '-X', '-w', ...connect, '-d', 'postgres', ...args];
        stdin = input;
      } else {
        argv = [
          'sh',
          '-c',
          RESTORE_WITH_LIST,
          'sh',
          useList(call.entries),
          join(server.bin, 'pg_restore'),
          ...connect,
          ...restoreArgs(call),
        ];
        stdin = dump ?? Buffer.alloc(0);
      }
      const started = Date.now();
      // In the sandbox, as its account: what a container runs as its root stays unprivileged here.
      const r = await server.scratch.sandbox.run(argv, { stdin, env });
      return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started };
    },
    async close(removeData = false): Promise<void> {
      for (const name of [...running.keys()]) await stop(name);
      if (removeData) await rm(folder, { recursive: true, force: true });
    },
  };
}
