/**
 * The fake cell's Docker daemon: one node process per cell (started by `fakeDaemon()`, ./world.ts),
 * listening on the `--host` socket, as Docker 1.11's client reaches its daemon over
 * unix:///var/run/docker.sock. The `docker` client (./docker) sends each command to it and prints the
 * answer, so a live recovery's seventy-odd docker commands cost a small client each, not a node
 * process each.
 *
 * The wire, one command per connection, both ways ended by a shutdown of the writing side:
 * - the client: the count of arguments in decimal and a newline, each argument's bytes ended by a
 *   NUL (no argument holds one), then its standard input (only with `-i`, as docker attaches it only then);
 * - the daemon: `EXIT-CODE STDOUT-LENGTH STDERR-LENGTH` and a newline, then standard output and error.
 *
 * Commands are answered concurrently: a handler's synchronous part runs whole, and a handler that
 * waits (a held command, a real server's load) lets the others go on meanwhile. The daemon ends
 * when its standard input does: the test's `remove()`, or the test process gone.
 */
import { chmodSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

export interface DockerAnswer {
  stdout: string | Buffer;
  stderr: string | Buffer;
  exitCode: number;
}

/** Answers one docker command line (without `docker`) with its standard input. */
export type DockerHandler = (args: string[], stdin: Buffer) => DockerAnswer | Promise<DockerAnswer>;

/** The request a client sent: its arguments, then its standard input. */
function parse(bytes: Buffer): { args: string[]; stdin: Buffer } {
  const nl = bytes.indexOf(0x0a);
  const count = nl < 0 ? NaN : Number(bytes.subarray(0, nl).toString('latin1'));
  if (!Number.isInteger(count) || count < 0) throw new Error('the client sent no count of arguments');
  const args: string[] = [];
  let at = nl + 1;
  for (let n = 0; n < count; n++) {
    const end = bytes.indexOf(0, at);
    if (end < 0) throw new Error(`the client sent ${String(n)} arguments, not ${String(count)}`);
    args.push(bytes.subarray(at, end).toString('utf8'));
    at = end + 1;
  }
  return { args, stdin: bytes.subarray(at) };
}

async function converse(conn: Socket, handler: DockerHandler): Promise<void> {
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
  let answer: DockerAnswer;
  try {
    const { args, stdin } = parse(Buffer.concat(chunks));
    answer = await handler(args, stdin);
  } catch (err) {
    answer = {
      stdout: '',
      stderr: `fake docker daemon: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      exitCode: 1,
    };
  }
  const stdout = Buffer.from(answer.stdout);
  const stderr = Buffer.from(answer.stderr);
  const head = `${String(answer.exitCode)} ${String(stdout.length)} ${String(stderr.length)}\n`;
  conn.end(Buffer.concat([Buffer.from(head), stdout, stderr]));
}

/** Serves `handler` on the socket named by the first argument; says `ready` on standard output once it listens. */
export function serveDocker(handler: DockerHandler): void {
  const socket = process.argv[2];
  if (!socket) throw new Error('usage: node dockerd.mjs SOCKET');
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    void converse(conn, handler);
  });
  server.listen(socket, () => {
    // The cell's test user runs the client without sudo in some tests.
    chmodSync(socket, 0o666);
    process.stdout.write('ready\n');
  });
  process.stdout.on('error', () => undefined);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
