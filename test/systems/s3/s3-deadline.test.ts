/**
 * S3 stores that accept and never answer, answer their headers and stall, or trickle a byte at a
 * time: each request fails naming the server and the request, after a bounded number of attempts,
 * instead of hanging. The deadlines are the test's own (a fraction of a second), not timed here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StepFailed } from '../../../src/core/errors.js';
import { createS3Store } from '../../../src/systems/s3/index.js';
import { runCli } from '../../support/cli.js';
import { startStalledServer, type StalledServer } from '../../support/stalled-server.js';
import { Redactor } from '../../../src/core/redact.js';
import { onWaiting } from '../../../src/core/waits.js';
import { formatDuration } from '../../../src/core/duration.js';

const servers: StalledServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function stalled(...args: Parameters<typeof startStalledServer>): Promise<StalledServer> {
  const s = await startStalledServer(...args);
  servers.push(s);
  return s;
}

function storeAt(server: StalledServer, maxAttempts = 2) {
  return createS3Store(
    {
      redactor: new Redactor(),
      endpoint: server.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'stalled-server-secret' },
      maxAttempts,
      timeoutMs: 300,
    },
    {},
  );
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('S3 deadlines against stalled servers on loopback', () => {
  it('a store that accepts and never answers fails the request naming it, after its attempts', async () => {
    const server = await stalled('silent');
    const err = await failure(storeAt(server, 3).head({ bucket: 'archive', key: 'backups/g/wal/sysids/sysid' }));
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain(`did not answer in time for head on s3://archive/backups/g/wal/sysids/sysid`);
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(err.message).toContain('HEAD /archive/backups/g/wal/sysids/sysid');
    expect(err instanceof StepFailed ? err.hint : '').toContain('--s3-timeout');
    // Retried, but only as many times as the store's attempts.
    expect(server.requests).toHaveLength(3);
    expect(server.requests.every((r) => r.startsWith('HEAD /archive/backups/g/wal/sysids/sysid'))).toBe(true);
  });

  it('a listing whose body trickles a byte at a time fails naming the server', async () => {
    const server = await stalled('trickle', { intervalMs: 20 });
    const err = await failure(
      (async () => {
        const keys: string[] = [];
        for await (const o of storeAt(server).list('archive', 'backups/g/wal/')) keys.push(o.key);
        return keys;
      })(),
    );
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(err.message).toMatch(/sent \d+ bytes of its answer in 0\.3 s: it stalls/);
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });

  it('an object whose headers come and whose body never does fails its reader', async () => {
    const server = await stalled('headers', { contentType: 'application/octet-stream' });
    const stream = await storeAt(server).getStream({
      bucket: 'archive',
      key: 'backups/g/wal/basebackups_005/b/tar_partitions/part_1.tar.lzo',
    });
    const err = await failure(
      (async () => {
        let bytes = 0;
        for await (const chunk of stream) bytes += (chunk as Buffer).length;
        return bytes;
      })(),
    );
    expect(err.message).toContain(
      `S3 at 127.0.0.1:${server.port} (GET /archive/backups/g/wal/basebackups_005/b/tar_partitions/part_1.tar.lzo)`,
    );
    expect(err.message).toContain('sent 0 bytes');
  });

  it('says what a request waits on while it waits: the server, the request, the attempt of how many', async () => {
    const said: string[] = [];
    const stop = onWaiting((t) => said.push(t));
    try {
      const silent = await stalled('silent');
      await failure(storeAt(silent, 2).head({ bucket: 'archive', key: 'backups/g/wal/sysids/sysid' }));
      const headers = await stalled('headers', { contentType: 'application/octet-stream' });
      const stream = await storeAt(headers).getStream({ bucket: 'archive', key: 'backups/g/wal/part_1.tar.lzo' });
      await failure(
        (async () => {
          let bytes = 0;
          for await (const chunk of stream) bytes += (chunk as Buffer).length;
          return bytes;
        })(),
      );
      const at = (s: StalledServer) => `S3 at 127.0.0.1:${s.port}`;
      expect(said.slice(0, 2)).toEqual([
        `${at(silent)} (HEAD /archive/backups/g/wal/sysids/sysid) has not answered for ${formatDuration(150)} (attempt 1 of 2; each attempt gives up after ${formatDuration(300)})`,
        `${at(silent)} (HEAD /archive/backups/g/wal/sysids/sysid) has not answered for ${formatDuration(150)} (attempt 2 of 2; each attempt gives up after ${formatDuration(300)})`,
      ]);
      expect(said.slice(2)).toEqual([
        `${at(headers)} (GET /archive/backups/g/wal/part_1.tar.lzo) has sent nothing of its answer for ${formatDuration(150)}; it gives up once ${formatDuration(300)} bring less than 1024 bytes`,
      ]);
    } finally {
      stop();
    }
  });

  it('a small object that trickles fails its whole read', async () => {
    const server = await stalled('trickle', { intervalMs: 20, contentType: 'text/plain' });
    const err = await failure(storeAt(server).get({ bucket: 'archive', key: 'backups/g/wal/sysids/sysid' }));
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(err.message).toContain('it stalls');
  });
});

describe('--s3-timeout', () => {
  it('archive inspect against a silent store stops naming it, within the deadline the flag gives', async () => {
    const server = await stalled('silent');
    const r = await runCli(
      ['archive', 'inspect', 's3://archive/backups/g/wal/', '--s3-endpoint', server.url, '--s3-path-style', '--s3-timeout', '200ms'],
      {
        env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'stalled-server-secret', AWS_REGION: 'us-east-1' },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`s3 ${server.url} did not answer in time for list on s3://archive/backups/g/wal/ (5 attempts)`);
    expect(r.stderr).toContain('--s3-timeout');
    expect(server.requests).toHaveLength(5);
    // Each attempt was said while it waited, on standard error, beside the command's own messages.
    for (const n of [1, 2, 3, 4, 5]) {
      expect(r.stderr).toMatch(
        new RegExp(
          `dingo-recover: S3 at 127\\.0\\.0\\.1:${server.port} \\(GET /archive/\\) has not answered for 0\\.1 s \\(attempt ${n} of 5; `,
        ),
      );
    }
  });

  it('refuses a deadline that is not a duration', async () => {
    const r = await runCli(['archive', 'inspect', 's3://archive/backups/g/wal/', '--s3-timeout', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--s3-timeout "soon" is not a duration');
  });
});
