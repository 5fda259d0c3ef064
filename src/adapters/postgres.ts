/**
 * Who logs in to PostgreSQL inside a patroni container, and how a login is shown: the container's
 * own superuser, any known old ones, then the `postgres` OS account over the local socket; the role
 * apps bind with for whatever runs the tenant's own code.
 */
import { StepFailed } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';
import type { DbLogin } from '../core/seams.js';
import type { CellDocker, ContainerInfo } from './docker.js';
import { containerRole } from './container-roles.js';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = '5432';

export type PgLogin = DbLogin;

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
 * The role apps bind with (APPUSER_USERNAME and its password, or the image's when the broker gave the
 * container none: container-roles.ts), logged in as itself: a function of the
 * tenant's that runs in its session has that role's powers and no more. Logged in as a superuser and
 * SET ROLE to it, a function could RESET ROLE back to the superuser. Null when the container names none.
 */
export function appLogin(info: ContainerInfo, redactor: Redactor): PasswordLogin | null {
  const apps = containerRole(info.env, 'APPUSER', redactor);
  return apps && { user: apps.role, password: apps.password };
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

/**
 * The superuser the broker gave the container (SUPERUSER_USERNAME/PASSWORD, else the image's defaults:
 * container-roles.ts); a password given without its name is `postgres`'s, and no password, none.
 */
function superuserLogin(info: ContainerInfo, redactor: Redactor): PgLogin {
  const su = containerRole(info.env, 'SUPERUSER', redactor);
  if (su) return { user: su.role, password: su.password };
  const user = info.env.SUPERUSER_USERNAME || 'postgres';
  const password = info.env.SUPERUSER_PASSWORD;
  redactor.register(password);
  return password ? { user, password } : { user };
}

/** The login chain of a container as docker inspect shows it now. */
export async function loginsFor(docker: CellDocker, name: string, known: PgLogin[] = []): Promise<PgLogin[]> {
  const info = await docker.inspect(name);
  if (!info)
    throw new StepFailed(`container ${name} does not exist on ${docker.runner.where}`, { hint: 'list the containers with `docker ps -a`' });
  return loginChain(info, docker.redactor, known);
}
