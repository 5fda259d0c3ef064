export interface MapLimitOptions {
  /**
   * After the first failure start no new item, wait for those in flight, then reject with that
   * failure. Without it the rejection is immediate and the other items run on.
   */
  stopOnFailure?: boolean;
}

/** `f` over every item, at most `limit` at once, in the items' order; the results in that order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  f: (item: T) => Promise<R>,
  opts: MapLimitOptions = {},
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await f(items[i]!);
      } catch (err) {
        if (!opts.stopOnFailure) throw err;
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.err;
  return out;
}
