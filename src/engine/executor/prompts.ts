/** The prompter as the executor hands it to steps: timed (prompts are not work), and for a for-each item one at a time, named by the item. */
import type { PromptClock } from './options.js';
import type { KeyedMutex } from './keyed-mutex.js';
import type { Prompter } from '../operator/prompts.js';
import type { Reporter } from '../operator/reporter.js';

/** The prompter, with the screen handed to each prompt (the live line paused) and the time at it counted. */
export function timedPrompts(inner: Prompter, reporter: Reporter, clock: PromptClock): Prompter {
  const at = async <T>(ask: () => Promise<T>): Promise<T> => {
    reporter.pause();
    const started = performance.now();
    try {
      return await ask();
    } finally {
      clock.ms += performance.now() - started;
      reporter.resume();
    }
  };
  return {
    interactive: inner.interactive,
    input: (q) => at(() => inner.input(q)),
    typed: (q) => at(() => inner.typed(q)),
    select: (q) => at(() => inner.select(q)),
  };
}

/** The prompter of a for-each item: one question at a time across the items, each message prefixed by the item's key. */
export function itemPrompts(inner: Prompter, key: string, lock: KeyedMutex): Prompter {
  const one = <T>(ask: () => Promise<T>): Promise<T> => lock.with('prompt', ask);
  const named = (message: string): string => `[${key}] ${message}`;
  return {
    interactive: inner.interactive,
    input: (q) => one(() => inner.input({ ...q, message: named(q.message) })),
    typed: (q) => one(() => inner.typed({ ...q, message: named(q.message) })),
    select: (q) => one(() => inner.select({ ...q, message: named(q.message) })),
  };
}

/** A stopwatch of a step's work: time since it started, less the time spent at prompts since. */
export function workTimer(clock: PromptClock): () => number {
  const started = performance.now();
  const prompted = clock.ms;
  return () => Math.max(0, Math.round(performance.now() - started - (clock.ms - prompted)));
}
