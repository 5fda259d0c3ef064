import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BASE_DEADLINE_MS, Deadline, defaultDeadlineMs, MAX_DEFAULT_DEADLINE_MS } from '../../src/drill/deadline.js';

const DAY = 24 * 60 * 60_000;

describe("the drill's default deadline", () => {
  it('grows with the archive: 15 minutes plus 2 per GiB restored', () => {
    expect(defaultDeadlineMs(0, 0)).toBe(BASE_DEADLINE_MS);
    expect(defaultDeadlineMs(1024 ** 3, 0)).toBe(BASE_DEADLINE_MS + 2 * 60_000);
    expect(defaultDeadlineMs(0, 64)).toBe(BASE_DEADLINE_MS + 2 * 60_000);
  });

  it('is two days at most, whatever size the archive declares of itself', () => {
    expect(MAX_DEFAULT_DEADLINE_MS).toBe(2 * DAY);
    for (const declared of [1e15, 1e300, Number.MAX_SAFE_INTEGER, Infinity]) expect(defaultDeadlineMs(declared, 0)).toBe(2 * DAY);
    expect(defaultDeadlineMs(0, 1e12)).toBe(2 * DAY);
  });

  it('is the base deadline when the declared size is not a number or below zero', () => {
    for (const declared of [NaN, -1e15, -Infinity]) expect(defaultDeadlineMs(declared, 0)).toBe(BASE_DEADLINE_MS);
  });
});

describe('a deadline longer than a timer can wait', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not pass at once (an archive declaring 10^15 bytes of itself), and passes when it is due', async () => {
    const ms = 30 * DAY;
    const deadline = new Deadline(performance.now(), BASE_DEADLINE_MS, () => 'restoring the base backup');
    deadline.set(ms);
    const failure = deadline.expired.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1000);
    expect(deadline.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(25 * DAY);
    expect(deadline.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * DAY);
    expect(deadline.signal.aborted).toBe(true);
    expect(((await failure) as Error).message).toBe("the drill's deadline of 30d00h passed while restoring the base backup");
    deadline.end();
  });

  it('the ceiling of a huge archive leaves a drill two days', async () => {
    const deadline = new Deadline(performance.now(), defaultDeadlineMs(1e15, 0), () => 'replaying WAL');
    await vi.advanceTimersByTimeAsync(2 * DAY - 1000);
    expect(deadline.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(deadline.signal.aborted).toBe(true);
    deadline.end();
  });
});

describe('a drill stopped from outside (SIGTERM, Ctrl-C)', () => {
  it('ends the wait at once with the reason it was stopped, whatever step still waits', async () => {
    const outer = new AbortController();
    const deadline = new Deadline(performance.now(), BASE_DEADLINE_MS, () => 'running the query');
    const stopped = new Deadline(performance.now(), BASE_DEADLINE_MS, () => 'running the query', outer.signal);
    const never = new Promise<never>(() => undefined);
    const why = new Error('SIGTERM');
    outer.abort(why);
    await expect(Promise.race([never, stopped.expired])).rejects.toBe(why);
    expect(stopped.signal.aborted).toBe(true);
    expect(deadline.signal.aborted).toBe(false);
    deadline.end();
    stopped.end();
  });
});
