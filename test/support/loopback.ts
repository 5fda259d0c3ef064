/**
 * The tests' own servers on 127.0.0.1: listening on a free port, stopped at once (kept-alive
 * connections closed first), and a self-signed certificate of that address for the TLS ones.
 */
import { execFileSync } from 'node:child_process';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';

/** Listens on a free port of 127.0.0.1; the port. A server that cannot listen rejects. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops an HTTP(S) server at once: its kept-alive connections are closed, then the server. */
export function stopHttp(server: HttpServer | HttpsServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/** A self-signed certificate for 127.0.0.1 (its subject and its SAN), valid a day: the paths of key.pem and cert.pem in `dir`. */
export function loopbackCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  return { key, cert };
}
