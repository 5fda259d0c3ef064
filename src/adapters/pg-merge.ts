/**
 * The live database of a patroni container, for a merge back: read in READ ONLY transactions as the role
 * apps bind with (SET LOCAL ROLE: no superuser's power reaches a function of the tenant's), and a patch
 * run by psql in it, stopping at its first error (the patch is one transaction: nothing of it is kept).
 * The superuser logs in with its password on standard input (postgres.ts), never on a command line.
 */
import { StepFailed } from '../core/errors.js';
import type { CommandResult } from '../core/seams.js';
import type { CellDocker } from './docker.js';
import { sqlIdent } from '../core/sql-quote.js';
import { psqlWithChain, type PgLogin } from './postgres.js';

/** A Query on the container's `database`: each line psql prints is one row of one column. */
export function liveQuery(docker: CellDocker, container: string, chain: PgLogin[], role: string) {
  return async (database: string, sql: string): Promise<string[][]> => {
    const script = `BEGIN TRANSACTION READ ONLY;\nSET LOCAL ROLE ${sqlIdent(role)};\nSET LOCAL search_path = pg_catalog;\n${sql};\nCOMMIT;\n`;
    const { result } = await psqlWithChain(
      docker,
      container,
      chain,
      ['-d', database, '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'],
      script,
      false,
    );
    if (result.exitCode !== 0) {
      throw new StepFailed(
        `psql in ${container} (database ${database}, as ${role}) exited ${result.exitCode}: ${docker.redactor.redact(result.stderr.trim())}`,
        { hint: "nothing was changed; the message is PostgreSQL's: check the database and the role apps bind with can read the tables" },
      );
    }
    return result.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l]);
  };
}

/** Runs `patch` in the container's `database` with psql, stopping at the first error. */
export async function applyPatch(
  docker: CellDocker,
  container: string,
  chain: PgLogin[],
  database: string,
  patch: string,
): Promise<CommandResult> {
  const { result } = await psqlWithChain(docker, container, chain, ['-d', database, '-q', '-v', 'ON_ERROR_STOP=1'], patch, true);
  return result;
}
