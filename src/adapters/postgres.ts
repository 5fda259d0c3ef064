/**
 * PostgreSQL inside a patroni container, reached with `docker exec`. Docker 1.11's
 * exec has no `-e`, so a password travels on the exec's standard input and a small
 * shell reads it into PGPASSWORD: it never appears on a command line.
 *
 * Readiness is a chain (cf-bosh-docker-formats §4): State.Running, then pg_isready
 * exit 0, then `pg_is_in_recovery()` = f. pg_isready alone is not enough: Patroni
 * runs with hot_standby=on, so a node still replaying WAL accepts connections.
 */
import type { Writable } from 'node:stream';
import { quote } from '../core/command-line.js';
import { StepFailed } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import type { CellDocker, ContainerInfo } from './docker.js';
import type { CommandResult } from '../core/seams.js';
import { replayProbe, type ReplayAnswer } from './postgres-replay.js';

const PG_HOST = '127.0.0.1';
const PG_PORT = '5432';

/**
 * `sh -c PSQL_VIA_STDIN sh USER PSQL_ARGS...`: the first stdin line is the password,
 * the rest (if any) is psql's input.
 */
export const PSQL_VIA_STDIN = `IFS= read -r PGPASSWORD; export PGPASSWORD; u=$1; shift; exec psql -X -w -h ${PG_HOST} -p ${PG_PORT} -d postgres -U "$u" "$@"`;

export const RECOVERY_QUERY = 'select pg_is_in_recovery()';

export interface PgLogin {
  user: string;
  password?: string;
  /** As the container's `postgres` OS user over the local Unix socket, without a password. */
  socket?: boolean;
}

/** A role logging in over 127.0.0.1 with its password. */
export interface PasswordLogin extends PgLogin {
  password: string;
  socket?: false;
}

/**
 * The `postgres` OS account over the container's Unix socket: the way in when the restored
 * database knows neither the new instance's passwords nor a known old one (local lines of
 * pg_hba.conf commonly trust or peer-authenticate it).
 */
const LOCAL_POSTGRES: PgLogin = { user: 'postgres', socket: true };

/** Logins to try, in order: the new instance's superuser, any known old ones, then the local socket. */
export function loginChain(info: ContainerInfo, redactor: Redactor, known: PgLogin[] = []): PgLogin[] {
  return [superuserLogin(info, redactor), ...known, LOCAL_POSTGRES];
}

/** How a login is shown in evidence and messages (never its password). */
export function describeLogin(login: PgLogin): string {
  return login.socket ? `the ${login.user} OS user over the container's local socket` : `${login.user} over ${PG_HOST}:${PG_PORT}`;
}

/**
 * The role apps bind with (APPUSER_USERNAME and its password), logged in as itself: a function of the
 * tenant's that runs in its session has that role's powers and no more. Logged in as a superuser and
 * SET ROLE to it, a function could RESET ROLE back to the superuser. Null when the container names none.
 */
export function appLogin(info: ContainerInfo, redactor: Redactor): PasswordLogin | null {
  const user = info.env.APPUSER_USERNAME;
  const password = info.env.APPUSER_PASSWORD;
  if (!user || !password) return null;
  redactor.register(password);
  return { user, password };
}

/**
 * appLogin, or a refusal naming the container and what needed the role (`doing`, e.g. "to run the merge
 * as"): nothing of the tenant's is ever run as a superuser in its place.
 */
export function requireAppLogin(info: ContainerInfo, redactor: Redactor, container: string, doing: string, hint: string): PasswordLogin {
  const apps = appLogin(info, redactor);
  if (apps) return apps;
  throw new StepFailed(`container ${container} names no APPUSER_USERNAME and APPUSER_PASSWORD: there is no role apps bind with ${doing}`, {
    hint,
  });
}

/** The superuser the broker gave the container (SUPERUSER_USERNAME/PASSWORD), else `postgres`. */
function superuserLogin(info: ContainerInfo, redactor: Redactor): PgLogin {
  const user = info.env.SUPERUSER_USERNAME || 'postgres';
  const password = info.env.SUPERUSER_PASSWORD;
  redactor.register(password);
  return password ? { user, password } : { user };
}

type ReadinessMeaning = 'accepting' | 'rejecting' | 'no-response' | 'no-attempt';

export interface Readiness {
  exitCode: number;
  meaning: ReadinessMeaning;
  /** pg_isready's own line, e.g. `127.0.0.1:5432 - accepting connections`. */
  output: string;
}

const MEANINGS: Record<number, ReadinessMeaning> = { 0: 'accepting', 1: 'rejecting', 2: 'no-response', 3: 'no-attempt' };

/** pg_isready's exit code: 0 accepting, 1 rejecting (starting up), 2 no response, 3 no attempt. */
export async function pgIsReady(docker: CellDocker, name: string): Promise<Readiness> {
  const result = await docker.exec(name, ['pg_isready', '-h', PG_HOST, '-p', PG_PORT]);
  const meaning = MEANINGS[result.exitCode];
  if (!meaning) {
    throw new StepFailed(
      `pg_isready in ${name} exited ${result.exitCode}: ${docker.redactor.redact(result.stderr.trim() || result.stdout.trim())}`,
      {
        hint: 'exit 126/127 means the container has no pg_isready: is it a patroni PostgreSQL container?',
      },
    );
  }
  return { exitCode: result.exitCode, meaning, output: result.stdout.trim() };
}

/** Login refusals (FATAL at connection time); an ERROR inside a session is not one. */
const AUTH_FAILED =
  /FATAL:\s+(?:password authentication failed|Peer authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist)|no password supplied/;

const NO_LOGIN_HINT =
  "a restored database keeps the deleted instance's roles and passwords: give its superuser password (clusterdata backup or the broker's restore.done line) as secrets.oldSuperuserPassword in the answers file or DINGO_OLD_SUPERUSER_PASSWORD, then resume";

/**
 * The environment of a session whose search_path is pg_catalog alone, set at login (PGOPTIONS), over
 * any ALTER ROLE or ALTER DATABASE setting: a function or operator a tenant left in a schema of the
 * database (before PostgreSQL 15 every role may create in public) is never chosen over pg_catalog's
 * for a better match of types. Given with `env`: Docker 1.11's exec sets no environment.
 */
const CATALOG_ONLY = ['env', 'PGOPTIONS=-c search_path=pg_catalog'];

/** psql's arguments, its standard input, whether it writes, and where its output goes as it comes. */
export interface PsqlCall {
  args: string[];
  input: string;
  writes: boolean;
  stdout?: Writable;
  /**
   * Whether the session's search_path is pg_catalog alone (CATALOG_ONLY): so for every superuser's
   * session, never for the role apps bind with, whose own functions and triggers run with its own.
   */
  catalogOnly: boolean;
}

/**
 * Runs psql in the container as `login`: the postgres OS account over the local socket, or a role
 * over 127.0.0.1 with its password on the first line of standard input. `input` is psql's standard input.
 */
export async function psqlAs(docker: CellDocker, name: string, login: PgLogin, call: PsqlCall): Promise<CommandResult> {
  const { args, input, writes, stdout } = call;
  docker.redactor.register(login.password);
  const out = stdout ? { stdout } : {};
  const env = call.catalogOnly ? CATALOG_ONLY : [];
  return login.socket
    ? docker.exec(name, [...env, 'psql', '-X', '-w', '-d', 'postgres', ...args], { user: login.user, stdin: input, writes, ...out })
    : docker.exec(name, [...env, 'sh', '-c', PSQL_VIA_STDIN, 'sh', login.user, ...args], {
        stdin: `${login.password ?? ''}\n${input}`,
        writes,
        ...out,
      });
}

/** What the server said when it refused the login (redacted), or null when it let it in. */
export function loginRefused(docker: CellDocker, result: CommandResult): string | null {
  const stderr = docker.redactor.redact(result.stderr.trim());
  return result.exitCode !== 0 && AUTH_FAILED.test(stderr) ? stderr : null;
}

/**
 * Runs psql in the container with the first login of the chain the database accepts, and
 * moves that login to the front so later calls start with it. `input` is psql's standard input.
 * The chain's logins are superusers: each session's search_path is pg_catalog alone.
 */
export async function psqlWithChain(
  docker: CellDocker,
  name: string,
  chain: PgLogin[],
  args: string[],
  input: string,
  writes: boolean,
  stdout?: Writable,
): Promise<{ result: CommandResult; login: PgLogin }> {
  const refused: string[] = [];
  // A login refused prints nothing on standard output: the next one's output is all `stdout` gets.
  for (const login of [...chain]) {
    const result = await psqlAs(docker, name, login, { args, input, writes, stdout, catalogOnly: true });
    const refusal = loginRefused(docker, result);
    if (refusal !== null) {
      refused.push(`${describeLogin(login)}: ${refusal}`);
      continue;
    }
    chain.splice(chain.indexOf(login), 1);
    chain.unshift(login);
    return { result, login };
  }
  throw new StepFailed(`psql in ${name} could not log in: ${refused.join('; ')}`, { hint: NO_LOGIN_HINT });
}

type RecoveryAnswer = { kind: 'value'; inRecovery: boolean } | { kind: 'unreachable'; detail: string };

async function askRecovery(docker: CellDocker, name: string, chain: PgLogin[]): Promise<RecoveryAnswer> {
  const { result } = await psqlWithChain(docker, name, chain, ['-tAc', RECOVERY_QUERY], '', false);
  const out = result.stdout.trim();
  if (result.exitCode === 0 && (out === 't' || out === 'f')) return { kind: 'value', inRecovery: out === 't' };
  const stderr = docker.redactor.redact(result.stderr.trim());
  if (result.exitCode === 2) return { kind: 'unreachable', detail: stderr };
  throw new StepFailed(
    `psql in ${name} exited ${result.exitCode}${stderr ? `: ${stderr}` : ''}${out ? ` (printed ${JSON.stringify(out.slice(0, 80))})` : ''}`,
    {
      hint: `run \`${RECOVERY_QUERY}\` in the container by hand to see what PostgreSQL says`,
    },
  );
}

/** True while the server replays WAL (standby), false once promoted. */
export async function isInRecovery(docker: CellDocker, name: string, logins?: PgLogin[]): Promise<boolean> {
  const answer = await askRecovery(docker, name, logins ?? (await loginsFor(docker, name)));
  if (answer.kind === 'unreachable') {
    throw new StepFailed(`PostgreSQL in ${name} is not accepting connections: ${answer.detail}`, {
      hint: 'wait for it to start (pg_isready), then ask again',
    });
  }
  return answer.inRecovery;
}

async function loginsFor(docker: CellDocker, name: string, known: PgLogin[] = []): Promise<PgLogin[]> {
  const info = await docker.inspect(name);
  if (!info)
    throw new StepFailed(`container ${name} does not exist on ${docker.runner.where}`, { hint: 'list the containers with `docker ps -a`' });
  return loginChain(info, docker.redactor, known);
}

type PromotionStage = 'not-running' | 'not-ready' | 'in-recovery' | 'promoted';

export interface PromotionPoll {
  attempt: number;
  elapsedMs: number;
  stage: PromotionStage;
  detail: string;
  /** While in recovery: how far replay has come (postgres-replay.ts). */
  replay?: ReplayAnswer;
}

export interface WaitOptions {
  /** Give up after this long. */
  deadlineMs: number;
  intervalMs: number;
  onPoll?: (poll: PromotionPoll) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Old credentials to try after the container's own superuser (from its env) and before the local socket. */
  knownLogins?: PgLogin[];
  /** Polls a stopped container may take to come up before it counts as dead (default 3). */
  startGracePolls?: number;
  /**
   * Looks at the container after each poll (what docker inspect said of it): its own lines, its
   * restarts. A throw stops the wait at once.
   */
  watch?: (poll: PromotionPoll, info: ContainerInfo) => Promise<void>;
}

/** Waits until the container runs, accepts connections and has left recovery. */
export async function waitUntilPromoted(
  docker: CellDocker,
  name: string,
  opts: WaitOptions,
): Promise<{ polls: number; elapsedMs: number; login: PgLogin }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const started = now();
  let slept = 0;
  // With an injected sleep that does not move the clock, count the sleeping itself.
  const elapsed = (): number => Math.max(now() - started, slept);
  let chain: PgLogin[] | undefined;
  const replayOf = replayProbe(docker.redactor);
  let notRunning = 0;
  let last: PromotionPoll | undefined;
  for (let attempt = 1; ; attempt++) {
    const info = await docker.inspect(name);
    if (!info)
      throw new StepFailed(`container ${name} disappeared from ${docker.runner.where} while waiting for it`, {
        hint: 'list the containers with `docker ps -a`',
      });
    const poll = async (): Promise<PromotionPoll> => {
      const at = (stage: PromotionStage, detail: string): PromotionPoll => ({ attempt, elapsedMs: elapsed(), stage, detail });
      if (!info.state.running) return at('not-running', `${info.state.status} (exit code ${info.state.exitCode})`);
      const logins = (chain ??= loginChain(info, docker.redactor, opts.knownLogins));
      const ready = await pgIsReady(docker, name);
      if (ready.exitCode !== 0) return at('not-ready', ready.output || ready.meaning);
      const answer = await askRecovery(docker, name, logins);
      if (answer.kind === 'unreachable') return at('not-ready', answer.detail);
      if (!answer.inRecovery) return at('promoted', 'pg_is_in_recovery() = f');
      const query = async (sql: string) => (await psqlWithChain(docker, name, logins, ['-tAc', sql], '', false)).result;
      return { ...at('in-recovery', 'pg_is_in_recovery() = t'), replay: await replayOf(query) };
    };
    last = await poll();
    if (opts.watch) await opts.watch(last, info);
    opts.onPoll?.(last);
    if (last.stage === 'promoted') return { polls: attempt, elapsedMs: elapsed(), login: chain![0]! };
    if (last.stage === 'not-running' && ++notRunning > (opts.startGracePolls ?? 3)) {
      throw await stoppedError(docker, name, last.detail);
    }
    if (last.stage !== 'not-running') notRunning = 0;
    if (elapsed() + opts.intervalMs > opts.deadlineMs) break;
    await sleep(opts.intervalMs);
    slept += opts.intervalMs;
  }
  throw new StepFailed(
    `${name} was not promoted within ${Math.round(opts.deadlineMs / 1000)} s: last seen ${last.stage} (${last.detail})`,
    {
      hint:
        last.stage === 'in-recovery'
          ? 'it is still replaying WAL from the archive; a large archive takes time: resume to keep waiting, and watch `docker logs` for wal-fetch lines'
          : 'read the container log (docker logs) for what patroni is doing, then resume to keep waiting',
    },
  );
}

async function stoppedError(docker: CellDocker, name: string, detail: string): Promise<StepFailed> {
  let tail = '';
  try {
    tail = docker.redactor.redact((await docker.logs(name, { tail: 5 })).trim());
  } catch {
    // The log is a courtesy in this message; the stop itself is the news.
  }
  const mismatch = /system ID mismatch/.test(tail);
  return new StepFailed(`container ${name} is not running: ${detail}${tail ? `\nlast log lines:\n${tail}` : ''}`, {
    hint: mismatch
      ? "etcd still holds another database's system ID: delete /service/<new guid>/initialize (and optime/leader), empty the data folder again, and start the container"
      : `read \`${quote(['docker', 'logs', name])}\` to see why it stopped`,
  });
}

/**
 * Sets role passwords (ALTER ROLE … PASSWORD), all in one transaction. The SQL goes
 * on standard input, after the login password, never on a command line.
 */
export async function reconcilePasswords(
  docker: CellDocker,
  name: string,
  roles: { role: string; password: string }[],
  opts: { knownLogins?: PgLogin[] } = {},
): Promise<PgLogin | null> {
  if (roles.length === 0) return null;
  for (const r of roles) docker.redactor.register(r.password);
  const chain = await loginsFor(docker, name, opts.knownLogins);
  const sql = [
    'BEGIN;',
    ...roles.map((r) => `ALTER ROLE ${sqlIdent(r.role)} WITH PASSWORD ${sqlLiteral(r.password)};`),
    'COMMIT;',
    '',
  ].join('\n');
  const { result, login } = await psqlWithChain(docker, name, chain, ['-q', '-v', 'ON_ERROR_STOP=1'], sql, true);
  if (result.exitCode !== 0) {
    const stderr = docker.redactor.redact(result.stderr.trim());
    throw new StepFailed(
      `setting the passwords of ${roles.map((r) => r.role).join(', ')} in ${name} failed (psql exit ${result.exitCode}): ${stderr}`,
      {
        hint: 'no password was changed (one transaction); check the role names exist in the restored database',
      },
    );
  }
  return login;
}
