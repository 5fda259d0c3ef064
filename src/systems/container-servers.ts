/**
 * The real PostgreSQL behind a rehearsal's simulated container (a scenario's `postgres: { seed }`):
 * this machine's server binaries of the container's major, run as the scratch account, in a folder of
 * the run's in the scratch folder (`dingo-world-<run-id>/<container>/`), kept across the run's
 * processes as the rest of its world is, and removed once the run is finished. The first time, the cluster is made, the container's roles
 * created with the passwords of its environment (on standard input, never on a command line) and the
 * scenario's seed run by the superuser. A client command the adapters send into the container (`docker
 * exec … psql` or `pg_restore`, a password line first, or psql as its postgres account) runs here
 * against that server, as the container would run it: the same script, its 127.0.0.1:5432 this
 * server's socket. Local logins are trusted for `postgres` alone on a socket folder only the scratch
 * account and root reach; every other role gives its password (scram-sha-256), as a patroni container's
 * local lines ask. Every client runs as the scratch account too, never as root: psql runs what a script
 * tells it to (`\!`), and a container's root is no root of this machine.
 */
import { chown, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import type { CommandResult, ContainerClientCall, ContainerServer, ContainerServers, LocalProcesses, RunAs } from '../core/seams.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import { PSQL_VIA_STDIN } from '../adapters/postgres.js';
import { PG_RESTORE_VIA_STDIN } from '../adapters/pg-load.js';
import { pathIs, serverRoot } from './pg-install.js';
import { APART_SOCKET_PREFIX, removeApartSocketFolder, socketFits } from './pg-sandbox.js';
import { endsWithin, postmasterPid } from './postmaster.js';

/** Where the adapters' scripts reach the server in the container. */
const CONTAINER_ADDRESS = '-h 127.0.0.1 -p 5432';
const PORT = '5432';

interface Running {
  bin: string;
  dataDir: string;
  socketDir: string;
  apartSocket: boolean;
  as: RunAs;
}

/** The roles the broker gave the container (its environment), with their passwords, as SQL. */
export function rolesSql(env: Record<string, string>): string {
  const roles: [string | undefined, string | undefined, string][] = [
    [env.SUPERUSER_USERNAME, env.SUPERUSER_PASSWORD, 'SUPERUSER'],
    [env.ADMIN_USERNAME, env.ADMIN_PASSWORD, 'CREATEDB CREATEROLE'],
    [env.APPUSER_USERNAME, env.APPUSER_PASSWORD, ''],
  ];
  return roles
    .filter(([user]) => user)
    .map(([user, password, attrs]) => `CREATE ROLE ${sqlIdent(user!)} LOGIN ${attrs} PASSWORD ${sqlLiteral(password ?? '')};`)
    .join('\n');
}

/** The servers of one run's world, its folder `folder` (`<scratch>/dingo-world-<run-id>`). */
export function containerServers(processes: LocalProcesses, folder: string): ContainerServers {
  const running = new Map<string, Running>();

  /** The run's world folder, made if need be: ours, a folder (a link or another user's of that name in the temp folder is refused). */
  async function ourFolder(): Promise<void> {
    await mkdir(folder, { mode: 0o711 }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
    const st = await lstat(folder);
    if (!st.isDirectory() || st.uid !== process.getuid?.()) {
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
    const needed = ['initdb', 'pg_ctl', 'pg_resetwal', 'postgres', 'psql', 'pg_restore'];
    if (!(await Promise.all(needed.map((p) => pathIs(join(bin, p), 'executable')))).every(Boolean)) {
      throw new StepFailed(
        `the scenario's container ${s.name} runs PostgreSQL ${s.major}, whose server is not installed on this machine (${bin})`,
        { hint: `install PostgreSQL ${s.major}'s server (Debian: apt-get install postgresql-${s.major}), then resume` },
      );
    }
    const as = processes.scratchAccount();
    await ourFolder();
    const home = join(folder, s.name);
    await mkdir(home, { recursive: true, mode: 0o700 });
    await chown(home, as.uid, as.gid);
    const dataDir = join(home, 'data');
    const pg = (program: string, ...args: string[]) => processes.runOk([join(bin, program), ...args], { as, cwd: home });
    // A process killed before it stopped its server left it running: stopped, to start with a socket of ours.
    await stopOn(bin, dataDir, as);
    // Made once, seed and all: a cluster an interrupted first start left half made is made again.
    const made = join(home, 'made');
    const fresh = !(await pathIs(made, 'exists'));
    if (fresh) {
      await rm(dataDir, { recursive: true, force: true });
      await pg('initdb', '-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C');
      await writeFile(join(dataDir, 'pg_hba.conf'), 'local all postgres trust\nlocal all all scram-sha-256\n');
      await chown(join(dataDir, 'pg_hba.conf'), as.uid, as.gid);
    }
    const apartSocket = !socketFits(home);
    const socketDir = apartSocket ? await mkdtemp(APART_SOCKET_PREFIX) : home;
    if (apartSocket) await chown(socketDir, as.uid, as.gid);
    const server = { bin, dataDir, socketDir, apartSocket, as };
    try {
      await start(server);
    } catch (err) {
      if (apartSocket) await removeApartSocketFolder(socketDir);
      throw new StepFailed(`the PostgreSQL ${s.major} of the scenario's container ${s.name} did not start: ${(err as Error).message}`, {
        hint: `its log is ${join(home, 'server.log')}; fix what it says, then resume`,
      });
    }
    running.set(s.name, server);
    if (fresh) {
      try {
        const psql = [join(bin, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', PORT, '-U', 'postgres'];
        // PostgreSQL 9.5, Dingo's, lets every role create in public; 15 no longer does.
        const publicCreate = 'GRANT CREATE ON SCHEMA public TO PUBLIC;';
        await processes.runOk([...psql, '-d', 'template1'], { as, stdin: `${publicCreate}\n` });
        await processes.runOk([...psql, '-d', 'postgres'], { as, stdin: `${rolesSql(s.env)}\n${publicCreate}\n` });
        if (s.nextXid) await numberFrom(server, s.nextXid, [...psql, '-d', 'postgres']);
        // Read here and handed over: psql, which runs a script's \! too, runs as the scratch account, never root.
        await processes.runOk([...psql, '-d', 'postgres'], { as, stdin: await readFile(s.seed) });
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
    const used = Number((await processes.runOk([...psql, '-At', '-c', 'select txid_current()'], { as: server.as })).stdout.trim());
    if (!(xid > used && xid < 32768))
      throw new Error(`nextXid ${xid} is not between the transactions the new cluster used (${used}) and 32768`);
    await stopOn(server.bin, server.dataDir, server.as);
    await processes.runOk([join(server.bin, 'pg_resetwal'), '-x', String(xid), '-D', server.dataDir], { as: server.as, cwd: '/' });
    await start(server);
  }

  /** Starts the server on its data, its socket in its socket folder alone, its log beside its data. */
  async function start(server: Running): Promise<void> {
    const options = `-p ${PORT} -k ${server.socketDir} -c listen_addresses='' -c fsync=off -c timezone=UTC`;
    const log = join(dirname(server.dataDir), 'server.log');
    await processes.runOk([join(server.bin, 'pg_ctl'), '-D', server.dataDir, '-w', '-s', '-l', log, '-o', options, 'start'], {
      as: server.as,
      cwd: '/',
    });
  }

  /** Stops the server on DATA, if one runs, and waits for its process to end (killed after ten seconds). */
  async function stopOn(bin: string, data: string, as: RunAs): Promise<void> {
    const pid = await postmasterPid(data);
    if (pid === undefined) return;
    await processes.run([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', '-s', 'stop'], { as, cwd: '/' });
    if (await endsWithin(pid, data, 100)) return;
    process.kill(pid, 'SIGKILL');
    await endsWithin(pid, data, 50);
  }

  async function stop(name: string): Promise<void> {
    const server = running.get(name);
    if (!server) return;
    running.delete(name);
    await stopOn(server.bin, server.dataDir, server.as);
    if (server.apartSocket) await removeApartSocketFolder(server.socketDir);
  }

  return {
    async exec(s: ContainerServer, call: ContainerClientCall, input: Buffer): Promise<CommandResult> {
      const server = await asRunning(s);
      const path = `PATH=${server.bin}:/usr/sbin:/usr/bin:/sbin:/bin`;
      const script = call.program === 'psql' ? PSQL_VIA_STDIN : PG_RESTORE_VIA_STDIN;
      const argv = call.local
        ? ['env', '-i', path, `PGHOST=${server.socketDir}`, `PGPORT=${PORT}`, 'PGUSER=postgres', ...call.env, call.program, ...call.args]
        : [
            'env',
            '-i',
            path,
            ...call.env,
            'sh',
            '-c',
            script.replace(CONTAINER_ADDRESS, `-h ${server.socketDir} -p ${PORT}`),
            'sh',
            ...call.args,
          ];
      const started = Date.now();
      // As the scratch account: what a container runs as its root stays unprivileged here.
      const r = await processes.run(argv, { as: server.as, stdin: input, cwd: '/', env: { PATH: '/usr/bin:/bin' } });
      return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started };
    },
    async close(removeData = false): Promise<void> {
      for (const name of [...running.keys()]) await stop(name);
      if (removeData) await rm(folder, { recursive: true, force: true });
    },
  };
}
