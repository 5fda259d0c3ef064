/**
 * The attempts of one Elasticsearch request and the deadline of each, whole: connecting, the
 * answer's headers and all of its body within --es-timeout. undici's own `bodyTimeout` is a
 * silence between two chunks, which a server (or a proxy before it) that trickles a byte every few
 * seconds never reaches; so each attempt runs under an AbortSignal that fires at its deadline,
 * however the bytes come. The defaults give a stalled endpoint up in under two minutes in all (4
 * attempts of 25 s, with 0.5, 1 and 2 s between them; `--es-timeout` gives each attempt longer).
 * An attempt still without its whole answer after a few seconds is said meanwhile (core/waits.ts):
 * the server, the request, the attempt of how many, and how long an attempt may take.
 */
import { formatDuration } from '../../core/duration.js';
import { DEFAULT_ES_TIMEOUT_SECONDS, ES_ATTEMPTS } from '../../core/log-source.js';
import { sayWaitingAfter } from '../../core/waits.js';

/** The first pause between tries, doubled before each next one. */
const FIRST_PAUSE_MS = 500;

/** An attempt without its whole answer this long (or half its deadline, when shorter) is said on the screen; so is a pause as long. */
export const NOTICE_MS = 5_000;

/** The pause after failed attempt `attempt` (1 for the first) before the next. */
export const pauseAfter = (attempt: number): number => FIRST_PAUSE_MS * 2 ** (attempt - 1);

/** How long a request to an endpoint that never answers in full takes to give up: every attempt to its deadline, and the pauses between. */
export function stalledGivesUpAfterMs(timeoutSeconds = DEFAULT_ES_TIMEOUT_SECONDS): number {
  let ms = ES_ATTEMPTS * timeoutSeconds * 1000;
  for (let attempt = 1; attempt < ES_ATTEMPTS; attempt++) ms += pauseAfter(attempt);
  return ms;
}

/** One attempt of a request, as the screen names it. */
export interface Attempt {
  /** "Elasticsearch at https://logs:9200 (POST /logstash-*\/_search?scroll=2m)" */
  what: string;
  n: number;
  of: number;
  timeoutMs: number;
}

/** What an attempt has received so far: whether the answer's headers came, and the bytes of its body. */
export interface Progress {
  readonly signal: AbortSignal;
  answered: boolean;
  bytes: number;
}

/** An attempt that passed its deadline; the hint names the flag that gives it longer. */
export class EsStalled extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const bytes = (n: number): string => `${n} byte${n === 1 ? '' : 's'}`;

const waited = (p: Progress, ms: number): string =>
  p.answered
    ? `has sent ${bytes(p.bytes)} of its answer in ${formatDuration(ms)}, not all of it`
    : `has not answered for ${formatDuration(ms)}`;

/**
 * Runs one attempt under its deadline, aborting `work`'s requests through the signal at it; said on
 * the screen while it waits. A deadline passed is an EsStalled naming the server, the request and
 * how far the answer came.
 */
export async function underDeadline<T>(a: Attempt, work: (p: Progress) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const progress: Progress = { signal: controller.signal, answered: false, bytes: 0 };
  const deadline = setTimeout(() => {
    controller.abort();
  }, a.timeoutMs);
  const noticeMs = Math.min(NOTICE_MS, a.timeoutMs / 2);
  const quiet = sayWaitingAfter(
    noticeMs,
    () => `${a.what} ${waited(progress, noticeMs)} (attempt ${a.n} of ${a.of}; each attempt gives up after ${formatDuration(a.timeoutMs)})`,
  );
  try {
    return await work(progress);
  } catch (err) {
    if (!controller.signal.aborted) throw err;
    const how = progress.answered
      ? `sent ${bytes(progress.bytes)} of its answer in ${formatDuration(a.timeoutMs)} and not the rest: it stalls`
      : `gave no answer within ${formatDuration(a.timeoutMs)}`;
    throw new EsStalled(
      `${a.what} ${how}`,
      `The cluster, or a proxy before it, stalls: check it (its load, GET _cat/thread_pool/search); if it is only slow, give each request longer with --es-timeout SECONDS (or ES_TIMEOUT; now ${a.timeoutMs / 1000} s an attempt, ${a.of} attempts)`,
      { cause: err },
    );
  } finally {
    clearTimeout(deadline);
    quiet();
  }
}
