/** Limits on how much async work runs at once: a map over items, and a gate that work passes through. */
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

/** At most `limit` holders at once, let in in the order they asked. */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  /** Waits for room; the function returned gives it back (once, however often it is called). */
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** Runs `task` once there is room, and gives the room back whatever it does. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
