/**
 * Deadlines of every S3 request, so a store that accepts and never answers, answers its headers
 * and stalls, or trickles a byte every few seconds fails with the server and the request named
 * instead of hanging the run. Per attempt (the SDK retries a timed-out attempt, up to its attempts):
 * - connecting and the answer's headers: the request handler's connection and request timeouts;
 * - the body: each window of the deadline must bring at least MIN_BYTES (or its end), unless the
 *   reader is the one not reading (bytes wait in our buffer). A trickle fails as a silence does.
 * The defaults give a store that accepts and never answers up in under two minutes in all (5 attempts
 * of 20 s, with the SDK's short backoff between them; --s3-timeout gives each attempt longer), and a
 * request silent for a few seconds is said meanwhile (core/waits.ts): the server, the request, the
 * attempt of how many, when it gives up.
 */
import { PassThrough, pipeline, Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { formatDuration } from '../../core/duration.js';
import { sayWaiting, sayWaitingAfter } from '../../core/waits.js';

/** How long an S3 request may go without answering, by default (`--s3-timeout`). */
export const DEFAULT_S3_TIMEOUT_MS = 20_000;

/** Attempts of a request, the first one included: with the default deadline, under two minutes in all. */
export const DEFAULT_S3_ATTEMPTS = 5;

/** A request silent this long (or half its deadline, when shorter) is said on the screen. */
const NOTICE_MS = 5_000;

/** Fewer bytes than this in a whole window of the deadline is a stalled body. */
const MIN_BYTES = 1024;

interface WireRequest {
  method?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  path?: string;
  headers?: Record<string, string>;
}

function timeoutError(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

function target(req: WireRequest): string {
  const port = req.port ?? (req.protocol === 'http:' ? 80 : 443);
  return `${req.hostname ?? '?'}:${port}`;
}

/** "attempt 2 of 5", from the header the SDK's retry strategy sets on each attempt (`amz-sdk-request: attempt=2; max=5`). */
function attemptOf(req: WireRequest): string {
  const header = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === 'amz-sdk-request')?.[1] ?? '';
  const m = /attempt=(\d+);\s*max=(\d+)/.exec(header);
  return m ? `attempt ${m[1]} of ${m[2]}` : 'one attempt';
}

/**
 * The body of an answer, failed when a window of `timeoutMs` brings fewer than MIN_BYTES while the reader waits;
 * a body silent for `noticeMs` while the reader waits is said, once per silence.
 */
export function watchBody(body: Readable, timeoutMs: number, what: () => string, noticeMs = Math.min(NOTICE_MS, timeoutMs / 2)): Readable {
  const watched = new PassThrough();
  let got = 0;
  let silentFor = 0;
  const readerBehind = (): boolean => watched.readableLength > 0 || watched.writableLength > 0 || body.isPaused();
  body.on('data', (d: Buffer) => {
    got += d.length;
    silentFor = 0;
  });
  const timer = setInterval(() => {
    if (got < MIN_BYTES && !readerBehind()) {
      watched.destroy(timeoutError(`${what()} sent ${got} bytes of its answer in ${formatDuration(timeoutMs)}: it stalls`));
    }
    got = 0;
  }, timeoutMs);
  const silence = setInterval(() => {
    silentFor = readerBehind() ? 0 : silentFor + noticeMs;
    if (silentFor === noticeMs) {
      sayWaiting(
        `${what()} has sent nothing of its answer for ${formatDuration(noticeMs)}; it gives up once ${formatDuration(timeoutMs)} bring less than ${MIN_BYTES} bytes`,
      );
    }
  }, noticeMs);
  silence.unref();
  const stop = (): void => {
    clearInterval(timer);
    clearInterval(silence);
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
      const attempt = attemptOf(req);
      const noticeMs = Math.min(NOTICE_MS, timeoutMs / 2);
      const answered = sayWaitingAfter(
        noticeMs,
        () =>
          `${what()} has not answered for ${formatDuration(noticeMs)} (${attempt}; each attempt gives up after ${formatDuration(timeoutMs)})`,
      );
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
      } finally {
        answered();
      }
    },
    // Innermost: around the request handler alone, inside the deserializer that reads the body.
    { step: 'deserialize', priority: 'low', name: 'dingoDeadlines' },
  );
}
