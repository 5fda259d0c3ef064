/**
 * psql and pg_isready against a scratch server, run inside its sandbox as its account: its socket is
 * at SANDBOX_SOCKET_DIR there. Rows come back split on a field separator no value holds (\x1f) and a
 * record separator of NUL (`-A -t -F -0`), so a value's own newlines are kept, from the server's psql
 * session of the role and database (psql-sessions.ts) or, where none takes it, a psql of its own; with `lines`, a
 * statement's output (`COPY … TO STDOUT`) is streamed line by line, psql paused while the lines wait
 * to be read and killed when the reader stops early.
 */
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { PassThrough, Readable } from 'node:stream';
import { messageOf } from '../../core/errors.js';
import type { ScratchSandbox } from '../../core/seams.js';
import { pipeThrough, StageFailed } from '../processes.js';
import { SANDBOX_SOCKET_DIR } from './sandbox.js';
import type { Answer, PsqlSessions } from './psql-sessions.js';

/** Where the clients reach a server: in its sandbox, with the client binaries of `bin`. */
export interface Endpoint {
  sandbox: ScratchSandbox;
  /** psql, pg_isready and pg_dump, new enough for the server. */
  bin: string;
  port: number;
  /** The server's open psql sessions, which take our statements one after another. */
  sessions?: PsqlSessions;
}

/** The connection flags of a server's clients inside its sandbox. */
export const connArgs = (e: Pick<Endpoint, 'port'>): string[] => ['-h', SANDBOX_SOCKET_DIR, '-p', String(e.port)];

const SEP = '\x1f';

function parseRows(stdout: string): string[][] {
  const records = stdout.split('\0');
  if (records.length && records[records.length - 1]!.replace(/\n$/, '') === '') records.pop();
  return records.map((r) => r.replace(/^\n/, '').split(SEP));
}

/** psql's arguments for one statement as `user` on `database`; `rows`: fields and records separated for parseRows. */
function psqlArgv(e: Endpoint, user: string, database: string, rows: boolean): string[] {
  const format = rows ? ['-F', SEP, '-0'] : [];
  return [
    join(e.bin, 'psql'),
    '-X',
    '-w',
    '-q',
    '-A',
    '-t',
    ...format,
    '-v',
    'ON_ERROR_STOP=1',
    ...connArgs(e),
    '-U',
    user,
    '-d',
    database,
  ];
}

/** One statement of ours, as a role on a database, with the session's environment (clientEnv & co.). */
export interface Statement {
  user: string;
  database: string;
  sql: string;
  env: NodeJS.ProcessEnv;
  /** How psql's words are said when it fails (default: as they are). */
  failed?: (said: string) => Error;
}

const asSaid = (said: string): Error => new Error(said);

/** What a psql of its own printed, or said when it failed. */
async function psqlAlone(e: Endpoint, argv: string[], s: Statement): Promise<Answer> {
  const r = await e.sandbox.run([...argv, '-c', s.sql], { env: s.env });
  return r.code === 0 ? { ok: true, stdout: r.stdout } : { ok: false, said: (r.stderr || r.stdout).trim() || `psql exited with ${r.code}` };
}

/** One statement's rows, in a session of the server's (psql-sessions.ts) or a psql of its own; throws with what psql said. */
export async function psqlRows(e: Endpoint, s: Statement): Promise<string[][]> {
  const argv = psqlArgv(e, s.user, s.database, true);
  const answer = (await e.sessions?.run(e.bin, argv, s.env, s.sql)) ?? (await psqlAlone(e, argv, s));
  if (!answer.ok) throw (s.failed ?? asSaid)(answer.said);
  return parseRows(answer.stdout);
}

/** The lines of a UTF-8 stream (without their `\n`), a batch per chunk read: the stream waits while a batch is read. */
async function* linesOf(input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    const lines = text.split('\n');
    rest = lines.pop()!;
    if (lines.length > 0) yield lines;
  }
  rest += decoder.end();
  if (rest !== '') yield [rest];
}

/** One statement's output lines as they come; throws, once read, with what psql said. */
export async function* psqlLines(e: Endpoint, s: Statement): AsyncGenerator<string[]> {
  const out = new PassThrough();
  const done = pipeThrough(
    Readable.from([]),
    [e.sandbox.stage([...psqlArgv(e, s.user, s.database, false), '-c', s.sql], { env: s.env })],
    out,
  );
  const error = done.then(
    () => undefined,
    (err: unknown) => err,
  );
  let whole = false;
  try {
    yield* linesOf(out);
    whole = true;
  } finally {
    if (!whole) out.destroy();
  }
  const err = await error;
  if (!err) return;
  throw (s.failed ?? asSaid)((err instanceof StageFailed ? err.stderr.trim() : messageOf(err)) || 'psql failed');
}

/** Whether the server accepts connections (pg_isready). */
export async function accepts(e: Endpoint, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await e.sandbox.run([join(e.bin, 'pg_isready'), '-q', ...connArgs(e)], { env })).code === 0;
}
