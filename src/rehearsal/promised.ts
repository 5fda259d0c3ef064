/**
 * The simulated systems answer at once, but their seams are asynchronous: these turn a
 * synchronous answer into the promise (or async iterable) a seam returns, a throw into a
 * rejection, exactly as an async method would.
 */

/** The value of `fn` as a promise; a throw becomes a rejection. */
export function promised<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(fn());
  });
}

/** The items `fn` lists, read when the iteration starts; a throw rejects the first read. */
export async function* listed<T>(fn: () => T[]): AsyncGenerator<T> {
  yield* await promised(fn);
}
