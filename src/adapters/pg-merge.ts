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

/** What psql prints of `sql` in the container's `database`, in a READ ONLY transaction as `role`. */
function liveOutput(docker: CellDocker, container: string, chain: PgLogin[], role: string) {
  return async (database: string, sql: string): Promise<string> => {
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
    return result.stdout;
  };
}

/** The lines of `text` but empty ones, split as they are read. */
function* linesIn(text: string): Generator<string> {
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end);
    if (line !== '') yield line;
    at = end < 0 ? text.length : end + 1;
  }
}

/** A Query on the container's `database`: each line psql prints is one row of one column. */
export function liveQuery(docker: CellDocker, container: string, chain: PgLogin[], role: string) {
  const output = liveOutput(docker, container, chain, role);
  return async (database: string, sql: string): Promise<string[][]> => [...linesIn(await output(database, sql))].map((l) => [l]);
}

/** Lines a batch of `liveLines` holds. */
const BATCH_LINES = 8192;

/**
 * The same reads, their lines handed on a batch at a time. The cell's command seam gives a
 * command's output whole: the text psql printed is held, never split into an array of all its lines besides.
 */
export function liveLines(docker: CellDocker, container: string, chain: PgLogin[], role: string) {
  const output = liveOutput(docker, container, chain, role);
  return async function* lines(database: string, sql: string): AsyncGenerator<string[]> {
    let batch: string[] = [];
    for (const line of linesIn(await output(database, sql))) {
      batch.push(line);
      if (batch.length === BATCH_LINES) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
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
