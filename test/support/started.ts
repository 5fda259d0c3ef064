/**
 * A resource `beforeAll` assigns, as `afterAll` must see it: undefined when `beforeAll` failed
 * before assigning it, whatever its declared type says. `await ifStarted(moto)?.stop()`.
 */
export function ifStarted<T>(resource: T): T | undefined {
  return resource;
}

/**
 * `body` run now, its result or its throw as a promise: what an `async` function without `await`
 * gives, for fakes of asynchronous seams.
 */
export function settled<T>(body: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(body());
  });
}

/**
 * `start()` tried up to `attempts` times: a server given a free port may find it taken by the time
 * it binds (another server was handed the same port in between), and a fresh port cures that. A
 * failure that repeats is thrown, with the number of tries.
 */
export async function startRetried<T>(what: string, start: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start();
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`${what} did not start in ${String(attempts)} tries: ${last instanceof Error ? last.message : String(last)}`, {
    cause: last,
  });
}
