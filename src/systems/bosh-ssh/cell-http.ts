/**
 * One HTTP exchange made from the cell, for a client that wants a socket (etcd's, etcd.ts): what
 * the client writes is held until its request is whole (etcd.ts sends no body: a PUT's value is in its query), then sent
 * from the cell by the cell's bash (`/dev/tcp`, as stemcells have no curl) and the answer read
 * back as the socket's data. The connection asks the server to close after answering, so the
 * exchange ends when the answer does.
 */
import { Duplex } from 'node:stream';
import type { Redactor } from '../../core/redact.js';
import type { CommandRunner } from '../../core/seams.js';
import { StepFailed } from '../../core/errors.js';
import { rawExcerpt } from './bosh-ssh-remote.js';

/** `exec 3<>/dev/tcp/HOST/PORT`, the request written, the answer read to its end. */
const EXCHANGE = 'exec 3<>"/dev/tcp/$1/$2" || exit 1; printf %s "$3" >&3; cat <&3';

const HEADERS_END = '\r\n\r\n';
const HTTP_STATUS_LINE = /^HTTP\/1\.[01] \d{3}[ \r]/;

export function cellHttpStream(cell: CommandRunner, hostPort: string, redactor: Redactor): Duplex {
  const m = /^(?:https?:\/\/)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(hostPort);
  if (!m)
    throw new StepFailed(`cannot read host:port from ${JSON.stringify(hostPort)}`, {
      hint: 'ETCD_HOST_PORT looks like 10.58.111.149:4001',
    });
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = m[2] ?? '4001';
  let request = '';
  let sent = false;
  const stream: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      request += chunk.toString('latin1');
      done();
      if (sent || !request.includes(HEADERS_END)) return;
      sent = true;
      const closing = request.replace(/^connection:.*\r\n/im, '').replace(HEADERS_END, `\r\nConnection: close${HEADERS_END}`);
      cell
        .run({ argv: ['bash', '-c', EXCHANGE, 'bash', host, port, closing], writes: !closing.startsWith('GET '), timeoutMs: 30_000 })
        .then(
          (r) => {
            if (r.exitCode !== 0 && !r.stdout) {
              stream.destroy(new Error(`no connection from the cell to ${host}:${port}: ${r.stderr.trim() || `exit ${r.exitCode}`}`));
              return;
            }
            // What came is shown as it came: an answer that is no HTTP response is not handed to the client to guess at.
            if (!HTTP_STATUS_LINE.test(r.stdout)) {
              stream.destroy(
                new StepFailed(
                  `the answer from ${host}:${port}, read on the cell, is not an HTTP response: ${rawExcerpt(redactor.redact(r.stdout))}`,
                  {
                    hint: `check that ${host}:${port} is etcd's client address (ETCD_HOST_PORT in the container's environment) and what \`curl -s http://${host}:${port}/version\` answers on the cell`,
                  },
                ),
              );
              return;
            }
            stream.push(Buffer.from(r.stdout, 'utf8'));
            stream.push(null);
          },
          (err: unknown) => stream.destroy(err instanceof Error ? err : new Error(String(err))),
        );
    },
  });
  return stream;
}
