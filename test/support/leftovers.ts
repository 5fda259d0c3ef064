/**
 * What a test file started and has not stopped yet: servers and their folders. Each start registers
 * its stop here at once, so a setup that fails half-way (one of two servers started, a folder made
 * before a step that threw) leaves nothing behind: the setup file stops what is left after each test
 * file, whatever failed.
 */
const open = new Set<() => Promise<void> | void>();

/** Registers `stop` until the returned function is called (by the resource's own stop). */
export function leftover(stop: () => Promise<void> | void): () => void {
  open.add(stop);
  return () => {
    open.delete(stop);
  };
}

/**
 * A resource's stop made of END: run once, by the test file or, whatever failed, by its setup's leftovers;
 * a later call gets the same end.
 */
export function stopOnce(end: () => Promise<void>): () => Promise<void> {
  let ended: Promise<void> | undefined;
  const forget = leftover(() => stop());
  const stop = (): Promise<void> => {
    forget();
    return (ended ??= end());
  };
  return stop;
}

/** Stops everything still registered; every stop is tried, the first failure is thrown after. */
export async function stopLeftovers(): Promise<void> {
  const stops = [...open];
  open.clear();
  const results = await Promise.allSettled(stops.map(async (stop) => stop()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The leftovers' count, for the tests of this module. */
export function leftoverCount(): number {
  return open.size;
}
