/**
 * A fake command's daemon: one node process (started by ./daemon-process.ts) that answers every
 * invocation of a fake command (the cell's `docker`, the operator's `cf`) on a unix socket, so a
 * live recovery's hundred-odd invocations cost a small client each (./command-client), not a node
 * process that loads a simulator each. The cell's docker is the real shape of it: Docker 1.11's
 * client reaches dockerd on its socket.
 *
 * The wire, one invocation per connection, both ways ended by a shutdown of the writing side:
 * - the client: `ARGC ENVC` in decimal and a newline, each argument's bytes ended by a NUL (none
 *   holds one), each `NAME=VALUE` of its environment the same, then its standard input;
 * - the daemon: `EXIT-CODE STDOUT-LENGTH STDERR-LENGTH` and a newline, then standard output and error.
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
}

/** Answers one invocation. */
export type CommandHandler = (call: Invocation) => CommandAnswer | Promise<CommandAnswer>;

/** The invocation a client sent. */
function parse(bytes: Buffer): Invocation {
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
  const args = fields(argc);
  const env = Object.fromEntries(fields(envc).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return { args, env, stdin: bytes.subarray(at) };
}

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
  let answer: CommandAnswer;
  try {
    answer = await handler(parse(Buffer.concat(chunks)));
  } catch (err) {
    answer = {
      stdout: '',
      stderr: `fake command daemon: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      exitCode: 1,
    };
  }
  const stdout = Buffer.from(answer.stdout);
  const stderr = Buffer.from(answer.stderr);
  const head = `${String(answer.exitCode)} ${String(stdout.length)} ${String(stderr.length)}\n`;
  conn.end(Buffer.concat([Buffer.from(head), stdout, stderr]));
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
