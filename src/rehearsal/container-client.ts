/**
 * The client commands the adapters send into a patroni container that a real server can answer:
 * `docker [--host H] exec [-i] [-u USER] NAME [env NAME=VALUE…] CMD…` where CMD is psql or pg_restore
 * behind the password-on-stdin scripts, or psql as the container's postgres account.
 */
import { PSQL_VIA_STDIN } from '../adapters/psql.js';
import { PG_RESTORE_VIA_STDIN } from '../adapters/pg-load.js';
import type { ContainerClientCall } from '../core/seams.js';
import { withEnv } from './cell-exec.js';

/** The container and the call of a `docker …` argv (without `docker` itself); undefined for any other command. */
export function containerClientCall(args: string[]): { container: string; call: ContainerClientCall } | undefined {
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
  if (cmd[0] === 'sh' && cmd[1] === '-c' && cmd[3] === 'sh' && (cmd[2] === PSQL_VIA_STDIN || cmd[2] === PG_RESTORE_VIA_STDIN)) {
    return { container, call: { program: cmd[2] === PSQL_VIA_STDIN ? 'psql' : 'pg_restore', local: false, args: cmd.slice(4), env } };
  }
  if (cmd[0] === 'psql' && osUser === 'postgres') return { container, call: { program: 'psql', local: true, args: cmd.slice(1), env } };
  return undefined;
}
