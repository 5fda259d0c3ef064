/**
 * The live ContainerDatabase (core/seams.ts): psql and pg_restore inside a patroni container, reached
 * with `docker exec` through the cell's docker client, the one place that writes them as shell text.
 * Docker 1.11's exec has no `-e`, so a password travels on the exec's standard input and a small
 * shell reads it into PGPASSWORD: it never appears on a command line, and the journal shows the
 * command as it ran. Each command carries its typed call too (CommandSpec.database): a rehearsal's
 * cell answers that, never this text.
 */
import type { Writable } from 'node:stream';
import { prependStdin } from '../core/stdin.js';
import type { CommandResult, ContainerDatabase, PsqlCall, RestoreCall, StdinData } from '../core/seams.js';
import type { CellDocker } from './docker.js';
import { PG_HOST, PG_PORT } from './postgres.js';
import { useList } from './pg-load-plan.js';

/**
 * `sh -c PSQL_VIA_STDIN sh USER PSQL_ARGS...`: the first stdin line is the password,
 * the rest (if any) is psql's input.
 */
export const PSQL_VIA_STDIN = `IFS= read -r PGPASSWORD; export PGPASSWORD; u=$1; shift; exec psql -X -w -h ${PG_HOST} -p ${PG_PORT} -d postgres -U "$u" "$@"`;

/**
 * `sh -c PG_RESTORE_VIA_STDIN sh USER ARGS...`: the first stdin line is the password; the lines after
 * it, up to an empty one, the dump ids to restore (pg_restore -L, from a file of the container's own
 * that goes when the shell ends, hung up, interrupted or terminated too; none: all of them); the rest
 * the dump. The exit status is pg_restore's.
 */
export const PG_RESTORE_VIA_STDIN = `IFS= read -r PGPASSWORD; export PGPASSWORD; u=$1; shift; l=$(mktemp) || exit 1; trap 'rm -f "$l"' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; while IFS= read -r id && [ -n "$id" ]; do printf '%s\\n' "$id"; done > "$l"; if [ -s "$l" ]; then set -- -L "$l" "$@"; fi; pg_restore -h ${PG_HOST} -p ${PG_PORT} -U "$u" "$@"`;

/**
 * The environment of a session whose search_path is pg_catalog alone, set at login (PGOPTIONS), over
 * any ALTER ROLE or ALTER DATABASE setting: a function or operator a tenant left in a schema of the
 * database (before PostgreSQL 15 every role may create in public) is never chosen over pg_catalog's
 * for a better match of types. Given with `env`: Docker 1.11's exec sets no environment.
 */
const CATALOG_ONLY = ['env', 'PGOPTIONS=-c search_path=pg_catalog'];

/** psql's options for a call (after its login's), and what it reads on its standard input. */
export function psqlArgs(call: PsqlCall): { args: string[]; input: string } {
  const database = call.database === undefined ? [] : ['-d', call.database];
  if (call.mode === 'query') return { args: [...database, '-tAc', call.sql], input: '' };
  const quiet = call.mode === 'rows' ? ['-q', '-A', '-t'] : ['-q'];
  return { args: [...database, ...quiet, '-v', 'ON_ERROR_STOP=1'], input: call.sql };
}

/** pg_restore's options for a call (after its login's), but its use-list. */
export function restoreArgs(call: RestoreCall): string[] {
  return ['--exit-on-error', '--single-transaction', '--no-owner', '--no-acl', '-d', call.database];
}

/** The container databases of the cell behind `docker`. */
export function cellDatabase(docker: CellDocker): ContainerDatabase {
  return {
    async psql(call: PsqlCall, opts: { writes: boolean; stdout?: Writable }): Promise<CommandResult> {
      const { login, container } = call;
      docker.redactor.register(login.password);
      const { args, input } = psqlArgs(call);
      const env = call.catalogOnly ? CATALOG_ONLY : [];
      const database = { call };
      const out = opts.stdout ? { stdout: opts.stdout } : {};
      return login.socket
        ? docker.exec(container, [...env, 'psql', '-X', '-w', '-d', 'postgres', ...args], {
            user: login.user,
            stdin: input,
            writes: opts.writes,
            database,
            ...out,
          })
        : docker.exec(container, [...env, 'sh', '-c', PSQL_VIA_STDIN, 'sh', login.user, ...args], {
            stdin: `${login.password ?? ''}\n${input}`,
            writes: opts.writes,
            database,
            ...out,
          });
    },
    async restore(call: RestoreCall, dump: StdinData): Promise<CommandResult> {
      const { login } = call;
      docker.redactor.register(login.password);
      return docker.exec(call.container, ['sh', '-c', PG_RESTORE_VIA_STDIN, 'sh', login.user, ...restoreArgs(call)], {
        stdin: prependStdin(`${login.password}\n${useList(call.entries)}\n`, dump),
        writes: true,
        database: { call, dump },
      });
    },
  };
}
