/**
 * The pauses between the polls of a wait: short at first, so what ends within seconds is seen to end
 * within seconds, then longer, so what takes an hour is not asked thousands of times.
 */

/** The first pause of a wait: an operation that ends within seconds is seen to end within seconds. */
export const FIRST_POLL_MS = 1_000;
/** Each pause is this much longer than the one before, up to the configured interval. */
const POLL_BACKOFF = 1.5;

/**
 * The pauses between the polls of a wait: 1 s, then ×1.5 each time (1.5 s, 2.25 s, 3.4 s …) up to
 * `capMs`, the configured poll interval, which is then kept. A cap under 1 s is used from the start.
 */
export function* pollDelays(capMs: number, firstMs = FIRST_POLL_MS, factor = POLL_BACKOFF): Generator<number, never, void> {
  let next = Math.min(firstMs, capMs);
  for (;;) {
    yield Math.round(next);
    next = Math.min(next * factor, capMs);
  }
}
