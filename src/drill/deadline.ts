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

/** 15 minutes, plus 2 per GiB the restore writes: LATEST's expanded size and 16 MiB per archived WAL segment. */
export function defaultDeadlineMs(expandedBytes: number, walSegments: number): number {
  return BASE_DEADLINE_MS + Math.ceil(((expandedBytes + walSegments * SEGMENT_BYTES) / GIB) * PER_GIB_MS);
}

export class Deadline {
  private readonly controller = new AbortController();
  /** Aborted when the deadline passes, the drill ends, or `outer` is (Ctrl-C). */
  readonly signal: AbortSignal;
  /** Rejects with the deadline's failure when it passes; never resolves. */
  readonly expired: Promise<never>;
  private timer: NodeJS.Timeout | undefined;
  private fail: (err: DrillFailed) => void = () => undefined;

  constructor(
    private readonly started: number,
    private ms: number,
    private readonly doing: () => string,
    outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    this.expired = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.expired.catch(() => undefined);
    this.set(ms);
  }

  /** Moves the deadline to `ms` after the drill started. */
  set(ms: number): void {
    clearTimeout(this.timer);
    this.ms = ms;
    this.timer = setTimeout(
      () => {
        this.expire();
      },
      Math.max(0, this.started + ms - Date.now()),
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
    if (!this.controller.signal.aborted) this.controller.abort(new Error('the drill ended'));
  }
}
