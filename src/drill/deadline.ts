/**
 * The whole drill's time limit. When it passes, the drill is stopped where it is (the signal every
 * phase watches is aborted), the scratch server is stopped, and the failure says what the drill was
 * waiting for and what to do.
 */
import { formatDuration } from '../core/duration.js';
import { DrillFailed } from './exit-codes.js';

/** What the default gives any archive; more per GiB it restores. */
export const BASE_DEADLINE_MS = 15 * 60_000;
const PER_GIB_MS = 2 * 60_000;
const GIB = 1024 ** 3;
const SEGMENT_BYTES = 16 * 1024 * 1024;
/**
 * The most the archive's own figures can give: two days (a restore of about 1.4 TiB). The sizes come
 * from the archive's sentinel, which its owner wrote; a longer drill is the operator's --deadline.
 */
export const MAX_DEFAULT_DEADLINE_MS = 2 * 24 * 60 * 60_000;
/** The longest a Node timer waits (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * 15 minutes, plus 2 per GiB the restore writes: LATEST's expanded size and 16 MiB per archived WAL
 * segment; two days at most, and 15 minutes when the sizes are not numbers.
 */
export function defaultDeadlineMs(expandedBytes: number, walSegments: number): number {
  const bytes = expandedBytes + walSegments * SEGMENT_BYTES;
  if (!(bytes > 0)) return BASE_DEADLINE_MS;
  return Math.min(MAX_DEFAULT_DEADLINE_MS, BASE_DEADLINE_MS + Math.ceil((bytes / GIB) * PER_GIB_MS));
}

export class Deadline {
  private readonly controller = new AbortController();
  /** Aborted when the deadline passes, the drill ends, or `outer` is (Ctrl-C). */
  readonly signal: AbortSignal;
  /**
   * Rejects with the deadline's failure when it passes, or with `outer`'s reason when that is aborted
   * (SIGTERM, Ctrl-C): the drill stops then, whatever step it waits on (a query the server never
   * answers); never resolves.
   */
  readonly expired: Promise<never>;
  private timer: NodeJS.Timeout | undefined;
  private fail: (err: unknown) => void = () => undefined;
  private readonly stopped = (): void => {
    this.fail(this.outer?.reason);
  };

  constructor(
    private readonly started: number,
    private ms: number,
    private readonly doing: () => string,
    private readonly outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    this.expired = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.expired.catch(() => undefined);
    if (outer?.aborted) this.stopped();
    else outer?.addEventListener('abort', this.stopped, { once: true });
    this.set(ms);
  }

  /** Moves the deadline to `ms` after the drill started. */
  set(ms: number): void {
    this.ms = ms;
    this.arm();
  }

  /** Waits for the deadline in steps a timer can take: past the longest, it would fire at once. */
  private arm(): void {
    clearTimeout(this.timer);
    const left = this.started + this.ms - performance.now();
    this.timer = setTimeout(
      () => {
        if (this.started + this.ms > performance.now()) this.arm();
        else this.expire();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, left)),
    );
  }

  private expire(): void {
    const err = new DrillFailed('could-not-run', `the drill's deadline of ${formatDuration(this.ms)} passed while ${this.doing()}`, {
      hint: 'The scratch server was stopped. Give the drill more time with --deadline (e.g. --deadline 2h), or run it closer to the bucket.',
    });
    this.controller.abort(err);
    this.fail(err);
  }

  /** The drill is over: no more timer, and whatever still runs in the background stops at its next step. */
  end(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.stopped);
    if (!this.controller.signal.aborted) this.controller.abort(new Error('the drill ended'));
  }
}
