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
