/**
 * A REAL PostgreSQL 15 server behind a container of the live cell (case option realPostgres):
 * when a client command the adapters run in a patroni container comes to it (`docker exec … psql`
 * with a password line on standard input or as the postgres OS user over the local socket,
 * `docker exec -i … pg_restore` with a password line), the cell's docker starts a server for that container if it has
 * none yet (a copy of the case's fresh cluster in a folder of the container's, the roles and passwords of its environment)
 * and runs the command for real against it. Its postmaster PID is kept in the cell state, so the
 * case's cleanup stops it by PID (stopCellPostgres) whatever else failed.
 *
 * The container's 127.0.0.1:5432 is the server's own socket folder: no TCP port, nothing another
 * test on this machine could collide with. pg_hba trusts the postgres OS account (peer) and asks
 * every other role its password (scram-sha-256), as a patroni container's local lines do; the public
 * schema lets every role create in it, as PostgreSQL 9.5 (Dingo's) leaves it.
 *
 * Bundled into the cell's fake Docker daemon with ./cell-docker.ts: no test-runner imports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PG_RESTORE_VIA_STDIN, PSQL_VIA_STDIN } from '../../../src/adapters/container-database.js';
import type { CellSpec, SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { findContainer, type CellWorld } from '../../../src/rehearsal/cell-world.js';
import type { DatabaseCall, PsqlCall } from '../../../src/core/seams.js';
import { rolesSql } from '../../../src/systems/container-servers.js';
import { running } from '../proc.js';

export const PG15_BIN = '/usr/lib/postgresql/15/bin';
/** Where the adapters' scripts reach the server in the container. */
const CONTAINER_ADDRESS = '-h 127.0.0.1 -p 5432';

/** A container's real server: its postmaster, data folder and socket folder. */
export interface CellPostgres {
  pid: number;
  dataDir: string;
  socketDir: string;
}

/**
 * A docker exec the real server answers, as the cell's docker client receives it over SSH: the
 * container, psql or pg_restore, whether as the container's postgres account over its socket or a
 * role whose password comes first on standard input, its arguments and `env NAME=VALUE…` before it.
 */
export interface RealExec {
  container: string;
  program: 'psql' | 'pg_restore';
  local: boolean;
  args: string[];
  env: string[];
}

/** `env NAME=VALUE… CMD…` as env runs it: its assignments and the command they are set for. */
function withEnv(cmd: string[]): { vars: string[]; cmd: string[] } {
  if (cmd[0] !== 'env') return { vars: [], cmd };
  let k = 1;
  while (k < cmd.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[k]!)) k++;
  return { vars: cmd.slice(1, k), cmd: cmd.slice(k) };
}

/**
 * `docker [--host H] exec [-i] [-u USER] NAME [env NAME=VALUE…] CMD…` of a psql or pg_restore the live
 * container database writes (adapters/container-database.ts); undefined for anything else. This cell is
 * a live one's double behind real SSH: it gets the command line, as a real cell does.
 */
export function realExecOf(args: string[]): RealExec | undefined {
  const rest = args[0] === '--host' || args[0] === '-H' ? args.slice(2) : args;
  if (rest[0] !== 'exec') return undefined;
  // The container is the first word that is neither an option nor -u's account.
  const at = rest.findIndex((a, n) => n > 0 && !a.startsWith('-') && rest[n - 1] !== '-u' && rest[n - 1] !== '--user');
  if (at < 0) return undefined;
  const options = rest.slice(1, at);
  const userAt = Math.max(options.indexOf('-u'), options.indexOf('--user'));
  const osUser = userAt >= 0 ? options[userAt + 1] : 'root';
  const container = rest[at]!;
  const { vars: env, cmd } = withEnv(rest.slice(at + 1));
  if (cmd[0] === 'sh' && cmd[1] === '-c' && cmd[3] === 'sh' && (cmd[2] === PSQL_VIA_STDIN || cmd[2] === PG_RESTORE_VIA_STDIN))
    return { container, program: cmd[2] === PSQL_VIA_STDIN ? 'psql' : 'pg_restore', local: false, args: cmd.slice(4), env };
  if (cmd[0] === 'psql' && osUser === 'postgres') return { container, program: 'psql', local: true, args: cmd.slice(1), env };
  return undefined;
}

/**
 * The typed call a live cell's client command makes, read back from its command line and standard
 * input as the container's shell would read them (the password line, a restore's entries up to an
 * empty line, then the dump): what the simulation answers when no real server is behind the container.
 */
export function databaseCallOf(e: RealExec, input: Buffer): { call: DatabaseCall; dump?: Buffer } {
  const line = (from: number): { text: string; next: number } => {
    const nl = input.indexOf(0x0a, from);
    return nl < 0
      ? { text: input.subarray(from).toString('utf8'), next: input.length }
      : { text: input.subarray(from, nl).toString('utf8'), next: nl + 1 };
  };
  const password = e.local ? undefined : line(0);
  if (e.program === 'pg_restore') {
    const entries: number[] = [];
    let at = password!.next;
    for (;;) {
      const l = line(at);
      at = l.next;
      if (l.text === '' || at >= input.length) break;
      entries.push(Number(l.text));
    }
    const d = e.args.indexOf('-d');
    const call = {
      kind: 'restore' as const,
      container: e.container,
      login: { user: e.args[0]!, password: password!.text },
      database: e.args[d + 1]!,
      entries,
    };
    return { call, dump: input.subarray(at) };
  }
  let args = e.local ? e.args.slice(4) : e.args.slice(1);
  const database = args[0] === '-d' ? args[1] : undefined;
  if (database !== undefined) args = args.slice(2);
  const login = e.local ? { user: 'postgres', socket: true } : { user: e.args[0]!, password: password!.text };
  const rest = input.subarray(password?.next ?? 0).toString('utf8');
  const mode = args[0] === '-tAc' ? 'query' : args.includes('-A') ? 'rows' : 'script';
  const call: PsqlCall = {
    kind: 'psql',
    container: e.container,
    login,
    ...(database !== undefined && { database }),
    mode,
    sql: mode === 'query' ? args[1]! : rest,
    catalogOnly: e.env.includes('PGOPTIONS=-c search_path=pg_catalog'),
  };
  return { call };
}

function run(argv: string[], input?: Buffer | string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, cwd: '/', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) return { status: 127, stdout: '', stderr: `${argv[0]!}: ${r.error.message}` };
  return { status: r.status ?? 1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

function runOk(argv: string[], input?: string): void {
  const r = run(argv, input);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${String(r.status)}): ${r.stderr.trim()}`);
}

function asPostgres(argv: string[], input?: string): void {
  runOk(['runuser', '-u', 'postgres', '--', ...argv], input);
}

/**
 * The container's running server: the one recorded if its postmaster still runs, else one started
 * (on a copy of `cluster`, a fresh one, when its folder holds none) and recorded in `servers`.
 */
export function ensureCellPostgres(
  servers: Record<string, CellPostgres>,
  c: SimContainer,
  env: Record<string, string>,
  cluster: string,
): CellPostgres {
  const known = servers[c.name];
  if (known && running(known.pid)) return known;
  const volume = c.mounts.find((m) => m.Destination === '/data')?.Source;
  if (!volume) throw new Error(`container ${c.name} has no /data volume to keep a PostgreSQL 15 cluster beside`);
  const dataDir = join(dirname(volume), 'pg15');
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const socketDir = mkdtempSync(join(tmpdir(), 'dingo-cellpg-'));
  chownSync(socketDir, postgresIds().uid, postgresIds().gid);
  if (fresh) {
    try {
      // The container's folder, when the broker has not made it yet, must let the postgres account pass.
      mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
      // An empty folder left by an attempt that failed goes (rmdir refuses any other): the copy takes its place.
      if (existsSync(dataDir)) rmdirSync(dataDir);
      runOk(['cp', '-a', '--', cluster, dataDir]);
      runOk(['chown', '-R', `${postgresIds().uid}:${postgresIds().gid}`, '--', dataDir]);
      writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all postgres peer\nlocal all all scram-sha-256\n');
    } catch (err) {
      // No server was started: only its socket folder is there to go.
      rmSync(socketDir, { recursive: true, force: true });
      throw err;
    }
  }
  const started = run([
    'runuser',
    '-u',
    'postgres',
    '--',
    join(PG15_BIN, 'pg_ctl'),
    '-D',
    dataDir,
    '-w',
    '-s',
    '-l',
    join(socketDir, 'log'),
    '-o',
    `-p 5432 -k ${socketDir} -c listen_addresses='' -c fsync=off -c timezone=UTC`,
    'start',
  ]);
  if (started.status !== 0) {
    rmSync(socketDir, { recursive: true, force: true });
    throw new Error(`PostgreSQL 15 of ${c.name} did not start: ${started.stderr.trim()}`);
  }
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const server = { pid, dataDir, socketDir };
  servers[c.name] = server;
  if (fresh) {
    try {
      createRoles(socketDir, env);
    } catch (err) {
      // Not recorded anywhere yet if this throws (the state is saved only after): stop it here.
      stopCellPostgres({ [c.name]: server });
      throw err;
    }
  }
  return server;
}

/** The container's roles, and public open to every role (9.5's default) in postgres and template1. */
function createRoles(socketDir: string, env: Record<string, string>): void {
  const psql = [join(PG15_BIN, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', '5432', '-U', 'postgres'];
  // PostgreSQL 9.5 lets every role create in public; 15 no longer does.
  const publicCreate = 'GRANT CREATE ON SCHEMA public TO PUBLIC;';
  asPostgres([...psql, '-d', 'postgres'], `${rolesSql(env)}\n${publicCreate}\n`);
  asPostgres([...psql, '-d', 'template1'], `${publicCreate}\n`);
}

let ids: { uid: number; gid: number } | undefined;
function postgresIds(): { uid: number; gid: number } {
  if (!ids) {
    const r = run(['id', '-u', 'postgres']);
    const g = run(['id', '-g', 'postgres']);
    ids = { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  return ids;
}

/** The command line the container would run the exec with, against its real server. */
function realExecArgv(server: CellPostgres, e: RealExec): string[] {
  const path = `PATH=${PG15_BIN}:/usr/sbin:/usr/bin:/sbin:/bin`;
  return e.local
    ? ['runuser', '-u', 'postgres', '--', 'env', path, `PGHOST=${server.socketDir}`, 'PGPORT=5432', ...e.env, e.program, ...e.args]
    : [
        'env',
        '-i',
        path,
        ...e.env,
        'sh',
        '-c',
        (e.program === 'psql' ? PSQL_VIA_STDIN : PG_RESTORE_VIA_STDIN).replace(CONTAINER_ADDRESS, `-h ${server.socketDir} -p 5432`),
        'sh',
        ...e.args,
      ];
}

/** Runs the exec against the container's real server, as the container would: its output and exit code. */
export function runRealExec(server: CellPostgres, e: RealExec, input: Buffer): { exitCode: number; stdout: string; stderr: string } {
  const r = run(realExecArgv(server, e), input);
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** runRealExec for the cell's daemon, which answers other commands while this one runs. */
export async function runRealExecAsync(
  server: CellPostgres,
  e: RealExec,
  input: Buffer,
): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer }> {
  const [cmd, ...args] = realExecArgv(server, e);
  const child = spawn(cmd!, args, { cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => stdout.push(b));
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  // A program that ends before reading all its input: what it said is its answer.
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const [code, error] = await new Promise<[number | null, Error | undefined]>((resolve) => {
    child.on('error', (err) => {
      resolve([null, err]);
    });
    child.on('close', (c) => {
      resolve([c, undefined]);
    });
  });
  if (error) return { exitCode: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(`${cmd!}: ${error.message}`) };
  return { exitCode: code ?? 1, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
}

/** Stops each server by its recorded PID (a fast shutdown, then SIGKILL past 10 s) and removes its socket folder. */
export function stopCellPostgres(servers: Record<string, CellPostgres>): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (const s of Object.values(servers)) {
    if (Number.isInteger(s.pid) && s.pid > 0 && running(s.pid)) {
      process.kill(s.pid, 'SIGINT');
      const deadline = Date.now() + 10_000;
      while (running(s.pid) && Date.now() < deadline) Atomics.wait(tick, 0, 0, 50);
      if (running(s.pid)) process.kill(s.pid, 'SIGKILL');
    }
    rmSync(s.socketDir, { recursive: true, force: true });
  }
}

/**
 * The typed call a `docker exec` carries when it is a psql or pg_restore in one of the cell's service
 * containers; undefined for anything else. A throwaway container of the drill is not one: its own
 * psql is answered as the command line it is.
 */
export function serviceDatabaseCall(state: CellWorld, args: string[], input: Buffer): CellSpec['database'] {
  const e = realExecOf(args);
  return e && findContainer(state, e.container) ? databaseCallOf(e, input) : undefined;
}
