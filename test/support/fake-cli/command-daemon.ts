/**
 * A fake command's daemon: one node process (started by ./daemon-process.ts) that answers every
 * invocation of a fake command (the cell's `docker`, the operator's `cf` and `bosh`) on a unix
 * socket, so a live recovery's hundreds of invocations cost a small client each (./command-client),
 * not a node process that loads a simulator each. The cell's docker is the real shape of it: Docker
 * 1.11's client reaches dockerd on its socket.
 *
 * The wire, one invocation per connection, both ways ended by a shutdown of the writing side:
 * - the client: `ARGC ENVC` in decimal and a newline, its working folder's bytes ended by a NUL,
 *   each argument's the same (none holds a NUL), each `NAME=VALUE` of its environment the same,
 *   then its standard input;
 * - the daemon: frames as the output comes (`bosh ssh` streams what the cell prints), `1 LENGTH`
 *   or `2 LENGTH` and a newline then that many bytes of standard output or error, and last
 *   `0 EXIT-CODE` and a newline.
 *
 * Invocations are answered concurrently: a handler's synchronous part runs whole, and a handler
 * that waits (a held command, a real server's load) lets the others go on meanwhile. The daemon
 * ends when its standard input does: the test's cleanup, or the test process gone.
 */
import { chmodSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

export interface CommandAnswer {
  stdout: string | Buffer;
  stderr: string | Buffer;
  exitCode: number;
}

interface Invocation {
  /** The arguments, without the command's name. */
  args: string[];
  stdin: Buffer;
  /** The client's environment, when it sends it (the docker client does not: the daemon's is its own). */
  env: Record<string, string>;
  /** The client's working folder ('' when it has none). */
  cwd: string;
  /** Writes to the client's standard output now, before the answer's. */
  stdout: (bytes: Buffer) => void;
  /** Aborted when the client is gone before its answer (killed): what the handler started for it may stop. */
  gone: AbortSignal;
}

/** Answers one invocation. */
export type CommandHandler = (call: Invocation) => CommandAnswer | Promise<CommandAnswer>;

/** The invocation a client sent; its output is written with `stdout`. */
function parse(bytes: Buffer, stdout: (bytes: Buffer) => void, gone: AbortSignal): Invocation {
  const nl = bytes.indexOf(0x0a);
  const [argc = NaN, envc = NaN] = (nl < 0 ? '' : bytes.subarray(0, nl).toString('latin1')).split(' ').map(Number);
  if (!Number.isInteger(argc) || !Number.isInteger(envc)) throw new Error('the client sent no count of arguments');
  let at = nl + 1;
  const fields = (count: number): string[] =>
    Array.from({ length: count }, (_, n) => {
      const end = bytes.indexOf(0, at);
      if (end < 0) throw new Error(`the client sent ${String(n)} fields, not ${String(count)}`);
      const field = bytes.subarray(at, end).toString('utf8');
      at = end + 1;
      return field;
    });
  const [cwd = ''] = fields(1);
  const args = fields(argc);
  const env = Object.fromEntries(fields(envc).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return { args, env, cwd, stdin: bytes.subarray(at), stdout, gone };
}

/** One frame of the answer: `kind` 1 standard output, 2 standard error, 0 the exit code (and the end). */
const frame = (kind: 0 | 1 | 2, body: Buffer | number): Buffer =>
  typeof body === 'number'
    ? Buffer.from(`${String(kind)} ${String(body)}\n`)
    : Buffer.concat([Buffer.from(`${String(kind)} ${String(body.length)}\n`), body]);

async function converse(conn: Socket, handler: CommandHandler): Promise<void> {
  // The client may be gone before its answer (a test cut the SSH session it came over): nothing to tell it.
  conn.on('error', () => undefined);
  // Read by events: an async iteration would destroy the socket at the end of the request, before its answer.
  const chunks: Buffer[] = [];
  conn.on('data', (chunk: Buffer) => chunks.push(chunk));
  const sent = await new Promise<boolean>((done) => {
    conn.once('end', () => {
      done(true);
    });
    conn.once('close', () => {
      done(false);
    });
  });
  if (!sent) return;
  const stdout = (bytes: Buffer): void => {
    if (bytes.length > 0) conn.write(frame(1, bytes));
  };
  const gone = new AbortController();
  conn.once('close', () => gone.abort());
  let answer: CommandAnswer;
  try {
    answer = await handler(parse(Buffer.concat(chunks), stdout, gone.signal));
  } catch (err) {
    answer = {
      stdout: '',
      stderr: `fake command daemon: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      exitCode: 1,
    };
  }
  stdout(Buffer.from(answer.stdout));
  const stderr = Buffer.from(answer.stderr);
  if (stderr.length > 0) conn.write(frame(2, stderr));
  conn.end(frame(0, answer.exitCode));
}

/** The socket this daemon serves: its first argument. */
export const daemonSocket = (): string => {
  const socket = process.argv[2];
  if (!socket) throw new Error('usage: node DAEMON.mjs SOCKET');
  return socket;
};

/** Serves `handler` on the daemon's socket; says `ready` on standard output once it listens. */
export function serveCommands(handler: CommandHandler): void {
  const socket = daemonSocket();
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    void converse(conn, handler);
  });
  server.listen(socket, () => {
    // The cell's test user runs the docker client without sudo in some tests.
    chmodSync(socket, 0o666);
    process.stdout.write('ready\n');
  });
  process.stdout.on('error', () => undefined);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
