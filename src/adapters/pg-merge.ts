/**
 * The live database of a patroni container, for a merge back: read in READ ONLY transactions, and a
 * patch run by psql in it, stopping at its first error (the patch is one transaction: nothing of it is
 * kept). Both log in as the role apps bind with, its password on standard input (psql.ts), never
 * on a command line: a function of the tenant's that runs in the session (a trigger, a policy) has
 * that role's powers and no more. A superuser's session SET ROLE to it would not do: such a function
 * could RESET ROLE and act as the superuser.
 */
import { PassThrough, type Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { StepFailed } from '../core/errors.js';
import type { CommandResult } from '../core/seams.js';
import type { CellDocker } from './docker.js';
import { describeLogin, type PasswordLogin } from './postgres.js';
import { loginRefused, psqlAs, type PsqlSession } from './psql.js';

/**
 * psql in the container as `login`; a refused login fails naming it, and never tries another. The
 * session keeps the role's own search_path: the tenant's triggers the patch fires were written for it.
 */
async function psqlAsApps(
  docker: CellDocker,
  container: string,
  login: PasswordLogin,
  call: Omit<PsqlSession, 'catalogOnly'>,
): Promise<CommandResult> {
  const result = await psqlAs(docker, container, login, { ...call, catalogOnly: false });
  const refused = loginRefused(docker, result);
  if (refused !== null) {
    throw new StepFailed(`psql in ${container} could not log in as ${describeLogin(login)}, the role apps bind with: ${refused}`, {
      hint: "nothing was changed; the merge logs in as that role, with the password in the container's APPUSER_PASSWORD, and never as a superuser (a trigger of the tenant's would run with its powers): check the role can log in over 127.0.0.1, then resume",
    });
  }
  return result;
}

/**
 * Runs `sql` with psql in the container's `database`, in a READ ONLY transaction as `login`: what it
 * prints is returned, or with `stdout` written there as it comes (a runner that cannot stream
 * returns it, and the caller writes it after).
 */
function liveOutput(docker: CellDocker, container: string, login: PasswordLogin) {
  return async (database: string, sql: string, stdout?: Writable): Promise<string> => {
    const script = `BEGIN TRANSACTION READ ONLY;\nSET LOCAL search_path = pg_catalog;\n${sql};\nCOMMIT;\n`;
    const result = await psqlAsApps(docker, container, login, { database, mode: 'rows', sql: script, writes: false, stdout });
    if (result.exitCode !== 0) {
      throw new StepFailed(
        `psql in ${container} (database ${database}, as ${login.user}) exited ${result.exitCode}: ${docker.redactor.redact(result.stderr.trim())}`,
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
export function liveQuery(docker: CellDocker, container: string, login: PasswordLogin) {
  const output = liveOutput(docker, container, login);
  return async (database: string, sql: string): Promise<string[][]> => [...linesIn(await output(database, sql))].map((l) => [l]);
}

/** Lines a batch of `liveLines` holds. */
const BATCH_LINES = 8192;
/** Bytes of psql's output read ahead of the merge, past which the command waits (the SSH channel's window stays shut). */
const READ_AHEAD = 4 * 1024 * 1024;

/**
 * The same reads, their lines handed on a batch at a time as psql prints them: a table larger than
 * memory (or than the longest string JavaScript holds) streams through, as the copy's side does.
 * Where the cell's command seam cannot stream (v1's `bosh ssh`, whose streams come mixed), the output comes whole
 * when psql ends and is split the same way. A reader that leaves early does not stop the read-only
 * query (the seam cancels nothing): its rest is read and dropped, so the command ends.
 */
export function liveLines(docker: CellDocker, container: string, login: PasswordLogin) {
  const output = liveOutput(docker, container, login);
  return async function* lines(database: string, sql: string): AsyncGenerator<string[]> {
    const out = new PassThrough({ highWaterMark: READ_AHEAD });
    const ran = output(database, sql, out).then(
      (rest) => {
        out.end(rest);
      },
      (err: unknown) => {
        out.destroy(err as Error);
      },
    );
    let finished = false;
    try {
      let batch: string[] = [];
      for await (const line of splitLines(out)) {
        batch.push(line);
        if (batch.length === BATCH_LINES) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      finished = true;
    } finally {
      // Stopped early (a side out of order, a failure further on): psql's rest is read and let go, so the command ends.
      if (!finished) out.resume();
      await ran;
    }
    // What psql exited with is known only now: a failure after some rows was thrown here, by `output`.
  };
}

/** The non-empty lines of a stream of UTF-8 text, a character never cut between two chunks. */
async function* splitLines(stream: PassThrough): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  // Not destroyed when the reader stops early: the rest is still read, and let go, so the command ends.
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      rest = text;
      continue;
    }
    yield* linesIn(text.slice(0, last));
    rest = text.slice(last + 1);
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}

/** Runs `patch` in the container's `database` with psql as `login`, stopping at the first error. */
export async function applyPatch(
  docker: CellDocker,
  container: string,
  login: PasswordLogin,
  database: string,
  patch: string,
): Promise<CommandResult> {
  return psqlAsApps(docker, container, login, { database, mode: 'script', sql: patch, writes: true });
}
