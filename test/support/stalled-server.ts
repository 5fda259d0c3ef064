/**
 * An HTTP server on 127.0.0.1 that stalls as a broken or hostile server does, for the deadlines of
 * the tool's HTTP clients:
 * - `silent`: accepts the connection, reads the request and never answers;
 * - `headers`: answers the status line and headers (a body of `bodyBytes` announced) and never the body;
 * - `trickle`: answers the headers, then one byte of the body every `intervalMs`, never finishing.
 * It speaks raw TCP (or a unix socket, as the Docker Engine's), so nothing of Node's HTTP server
 * times the connection out on its side.
 */
import { createServer, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback.js';

export type Stall = 'silent' | 'headers' | 'trickle';

export interface StalledServer {
  /** The TCP port on 127.0.0.1 (0 when it listens on `socketPath`). */
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** The request lines seen ("GET /bucket?list-type=2 HTTP/1.1"). */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

export async function startStalledServer(
  stall: Stall,
  o: { intervalMs?: number; bodyBytes?: number; contentType?: string; socketPath?: string } = {},
): Promise<StalledServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: string[] = [];
  let connections = 0;
  const bodyBytes = o.bodyBytes ?? 1_000_000;
  const headers = (): string =>
    `HTTP/1.1 200 OK\r\ncontent-type: ${o.contentType ?? 'application/xml'}\r\ncontent-length: ${bodyBytes}\r\n\r\n`;

  const answer = (socket: Socket): void => {
    if (stall === 'silent') return;
    socket.write(headers());
    if (stall === 'headers') return;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(' ');
    }, o.intervalMs ?? 1000);
    timers.add(timer);
    socket.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  };

  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    let answered = false;
    socket.on('data', (d: Buffer) => {
      if (answered) return;
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      answered = true;
      requests.push(head.slice(0, head.indexOf('\r\n')));
      answer(socket);
    });
  });
  const socketPath = o.socketPath;
  const port =
    socketPath === undefined
      ? await listenOnLoopback(server)
      : await new Promise<number>((resolve, reject) => {
          server.once('error', reject).listen(socketPath, () => {
            resolve(0);
          });
        });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
