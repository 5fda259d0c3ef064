import { createServer } from 'node:net';

/** A TCP port free on loopback right now (PostgreSQL also uses it to name its socket). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
  });
}
