/**
 * psql inside a patroni container, reached with `docker exec`. Docker 1.11's exec has no `-e`, so a
 * password travels on the exec's standard input and a small shell reads it into PGPASSWORD: it
 * never appears on a command line.
 */
import type { Writable } from 'node:stream';
import { StepFailed } from '../core/errors.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import type { CommandResult } from '../core/seams.js';
import type { CellDocker } from './docker.js';
import { describeLogin, loginsFor, PG_HOST, PG_PORT, type PgLogin } from './postgres.js';

/**
 * `sh -c PSQL_VIA_STDIN sh USER PSQL_ARGS...`: the first stdin line is the password,
 * the rest (if any) is psql's input.
 */
export const PSQL_VIA_STDIN = `IFS= read -r PGPASSWORD; export PGPASSWORD; u=$1; shift; exec psql -X -w -h ${PG_HOST} -p ${PG_PORT} -d postgres -U "$u" "$@"`;

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
