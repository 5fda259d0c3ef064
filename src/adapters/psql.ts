/**
 * psql inside a patroni container as one login, or the first of a chain the database accepts, through
 * the container's database seam (container-database.ts, which writes it as a command), and role
 * passwords set in one transaction.
 */
import type { Writable } from 'node:stream';
import { StepFailed } from '../core/errors.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import type { CommandResult, PsqlCall } from '../core/seams.js';
import { cellDatabase } from './container-database.js';
import type { CellDocker } from './docker.js';
import { describeLogin, type PgLogin } from './postgres.js';

/** Login refusals (FATAL at connection time); an ERROR inside a session is not one. */
const AUTH_FAILED =
  /FATAL:\s+(?:password authentication failed|Peer authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist)|no password supplied/;

const NO_LOGIN_HINT =
  "a restored database keeps the deleted instance's roles and passwords: give its superuser password (clusterdata backup or the broker's restore.done line) as secrets.oldSuperuserPassword in the answers file or DINGO_OLD_SUPERUSER_PASSWORD, then resume";

/** A psql session's call, but for its container and login (core/seams.ts PsqlCall), whether it writes, and where its output goes as it comes. */
export interface PsqlSession {
  database?: string;
  mode: PsqlCall['mode'];
  sql: string;
  writes: boolean;
  stdout?: Writable;
  catalogOnly: boolean;
}

/**
 * Runs psql in the container as `login`: the postgres OS account over the local socket, or a role
 * over 127.0.0.1 with its password (the container's database seam, container-database.ts).
 */
export async function psqlAs(docker: CellDocker, name: string, login: PgLogin, call: PsqlSession): Promise<CommandResult> {
  const { writes, stdout, ...rest } = call;
  return cellDatabase(docker).psql({ kind: 'psql', container: name, login, ...rest }, { writes, ...(stdout ? { stdout } : {}) });
}

/** What the server said when it refused the login (redacted), or null when it let it in. */
export function loginRefused(docker: CellDocker, result: CommandResult): string | null {
  const stderr = docker.redactor.redact(result.stderr.trim());
  return result.exitCode !== 0 && AUTH_FAILED.test(stderr) ? stderr : null;
}

/**
 * Runs psql in the container with the first login of the chain the database accepts, and
 * moves that login to the front so later calls start with it.
 * The chain's logins are superusers: each session's search_path is pg_catalog alone.
 */
export async function psqlWithChain(
  docker: CellDocker,
  name: string,
  chain: PgLogin[],
  call: Omit<PsqlSession, 'catalogOnly'>,
): Promise<{ result: CommandResult; login: PgLogin }> {
  const refused: string[] = [];
  // A login refused prints nothing on standard output: the next one's output is all `stdout` gets.
  for (const login of [...chain]) {
    const result = await psqlAs(docker, name, login, { ...call, catalogOnly: true });
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
 * Sets role passwords (ALTER ROLE … PASSWORD), all in one transaction, logged in with the first of
 * `chain` the server accepts (`loginChain` of the container). The SQL goes on standard input, after
 * the login password, never on a command line.
 */
export async function reconcilePasswords(
  docker: CellDocker,
  name: string,
  roles: { role: string; password: string }[],
  chain: PgLogin[],
): Promise<PgLogin | null> {
  if (roles.length === 0) return null;
  for (const r of roles) docker.redactor.register(r.password);
  const sql = [
    'BEGIN;',
    ...roles.map((r) => `ALTER ROLE ${sqlIdent(r.role)} WITH PASSWORD ${sqlLiteral(r.password)};`),
    'COMMIT;',
    '',
  ].join('\n');
  const { result, login } = await psqlWithChain(docker, name, chain, { mode: 'script', sql, writes: true });
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
