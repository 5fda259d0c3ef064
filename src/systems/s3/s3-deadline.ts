/**
 * Deadlines of every S3 request, so a store that accepts and never answers, answers its headers
 * and stalls, or trickles a byte every few seconds fails with the server and the request named
 * instead of hanging the run. Per attempt (the SDK retries a timed-out attempt, up to its attempts):
 * - connecting and the answer's headers: the request handler's connection and request timeouts;
 * - the body: each window of the deadline must bring at least MIN_BYTES (or its end), unless the
 *   reader is the one not reading (bytes wait in our buffer). A trickle fails as a silence does.
 */
import { PassThrough, pipeline, Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { formatDuration } from '../../core/duration.js';

/** How long an S3 request may go without answering, by default (`--s3-timeout`). */
export const DEFAULT_S3_TIMEOUT_MS = 60_000;

/** Fewer bytes than this in a whole window of the deadline is a stalled body. */
const MIN_BYTES = 1024;

interface WireRequest {
  method?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  path?: string;
}

function timeoutError(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

function target(req: WireRequest): string {
  const port = req.port ?? (req.protocol === 'http:' ? 80 : 443);
  return `${req.hostname ?? '?'}:${port}`;
}

/** The body of an answer, failed when a window of `timeoutMs` brings fewer than MIN_BYTES while the reader waits. */
export function watchBody(body: Readable, timeoutMs: number, what: () => string): Readable {
  const watched = new PassThrough();
  let got = 0;
  body.on('data', (d: Buffer) => (got += d.length));
  const timer = setInterval(() => {
    const readerBehind = watched.readableLength > 0 || watched.writableLength > 0 || body.isPaused();
    if (got < MIN_BYTES && !readerBehind) {
      watched.destroy(timeoutError(`${what()} sent ${got} bytes of its answer in ${formatDuration(timeoutMs)}: it stalls`));
    }
    got = 0;
  }, timeoutMs);
  const stop = (): void => {
    clearInterval(timer);
  };
  pipeline(body, watched, stop);
  watched.on('close', stop);
  return watched;
}

/** Puts the body watch on every answer and names the server and the request in every timeout. */
export function addDeadlines(client: S3Client, timeoutMs: number): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as WireRequest;
      const what = (): string => `S3 at ${target(req)} (${req.method ?? '?'} ${req.path ?? '/'})`;
      try {
        const out = await next(args);
        const response = out.response as { body?: unknown };
        if (response.body instanceof Readable) response.body = watchBody(response.body, timeoutMs, what);
        return out;
      } catch (err) {
        if (err instanceof Error && err.name === 'TimeoutError') {
          throw timeoutError(`${what()} gave no answer within ${formatDuration(timeoutMs)}`, err);
        }
        throw err;
      }
    },
    // Innermost: around the request handler alone, inside the deserializer that reads the body.
    { step: 'deserialize', priority: 'low', name: 'dingoDeadlines' },
  );
}
