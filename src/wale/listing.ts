/**
 * Lists everything under a wal-e prefix quickly and completely.
 *
 * The ObjectStore seam lists by prefix only, in key order. One ordered scan of
 * the whole prefix runs until it reaches `wal_005/`, which gives every key that
 * sorts before the WAL folder (base backups, sysids, strays). The WAL folder,
 * where nearly all keys live, is listed in parallel: a listing that has
 * returned `splitAfter` keys and still goes on hands the key space after its
 * current key to new listings, one per WAL-name character (hex digits and ".")
 * greater than the current one at each position, and keeps only its own
 * narrowed block. Keys are collected in a Map, so overlaps cannot duplicate.
 *
 * Limit of the seam: keys that sort after the whole `wal_005/` folder, and keys
 * inside it whose names stop being WAL names before a split position, are not
 * reached by the parallel plan; neither wal-e nor wal-g writes such keys. Pass
 * `exhaustive: true` for one sequential scan that sees every key.
 */
import type { ObjectInfo, ObjectStore } from '../systems/types.js';

export interface ListOptions {
  /** Listings running at once. */
  concurrency?: number;
  /** Keys one listing returns before it splits the rest of its range. */
  splitAfter?: number;
  /** One sequential scan of the whole prefix instead of the parallel plan. */
  exhaustive?: boolean;
}

/** Characters of WAL file names, in key order. */
const ALPHABET = '.0123456789ABCDEF';
/** Split positions stay within the 24 characters of a segment name. */
const NAME_LENGTH = 24;

export async function listArchiveObjects(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  opts: ListOptions = {},
): Promise<ObjectInfo[]> {
  const out = new Map<string, ObjectInfo>();
  if (opts.exhaustive) {
    for await (const o of store.list(bucket, prefix)) out.set(o.key, o);
    return sorted(out);
  }
  const walPrefix = `${prefix}wal_005/`;
  const ctx: Ctx = {
    store,
    bucket,
    out,
    gate: new Gate(Math.max(1, opts.concurrency ?? 16)),
    splitAfter: Math.max(1, opts.splitAfter ?? 1000),
    zoneEnd: walPrefix.length + NAME_LENGTH,
  };
  await Promise.all([scanUntil(ctx, prefix, walPrefix), listSplitting(ctx, walPrefix)]);
  return sorted(out);
}

interface Ctx {
  store: ObjectStore;
  bucket: string;
  out: Map<string, ObjectInfo>;
  gate: Gate;
  splitAfter: number;
  zoneEnd: number;
}

function sorted(out: Map<string, ObjectInfo>): ObjectInfo[] {
  return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Keys under `prefix` that sort before `stop` (stop's own folder is listed elsewhere). */
async function scanUntil(ctx: Ctx, prefix: string, stop: string): Promise<void> {
  const release = await ctx.gate.acquire();
  try {
    for await (const o of ctx.store.list(ctx.bucket, prefix)) {
      if (o.key >= stop) break;
      ctx.out.set(o.key, o);
    }
  } finally {
    release();
  }
}

async function listSplitting(ctx: Ctx, prefix: string): Promise<void> {
  const children: Promise<void>[] = [];
  const release = await ctx.gate.acquire();
  try {
    let scope = prefix;
    let seen = 0;
    let first: string | null = null;
    for await (const o of ctx.store.list(ctx.bucket, prefix)) {
      if (!o.key.startsWith(scope)) break;
      ctx.out.set(o.key, o);
      first ??= o.key;
      if (++seen < ctx.splitAfter) continue;
      const split = planSplit(scope, first, o.key, ctx.zoneEnd);
      if (!split) continue;
      for (const child of split.children) children.push(listSplitting(ctx, child));
      scope = split.scope;
      seen = 0;
      first = null;
    }
  } finally {
    release();
  }
  await Promise.all(children);
}

/**
 * After key `k` (the listing has seen `first`..`k` under `scope`), the keys
 * still to come under `scope` either start with k[0..D] (the narrowed scope
 * this listing keeps) or differ from k at some position j in [scope.length, D)
 * by a greater character: one child prefix k[0..j]+c for each such c. D is the
 * first position where `first` and `k` differ, so the children at D hold
 * blocks of about the size already seen; those before D catch other timelines.
 */
export function planSplit(
  scope: string,
  first: string,
  k: string,
  zoneEnd: number,
): { scope: string; children: string[] } | null {
  let diff = scope.length;
  while (diff < k.length && first[diff] === k[diff]) diff++;
  const depth = Math.min(diff, zoneEnd - 1, k.length - 1);
  if (depth < scope.length) return null;
  const children: string[] = [];
  for (let j = scope.length; j <= depth; j++) {
    const at = ALPHABET.indexOf(k[j]!);
    if (at < 0) return null;
    for (const c of ALPHABET.slice(at + 1)) children.push(k.slice(0, j) + c);
  }
  return { scope: k.slice(0, depth + 1), children };
}

/** At most `limit` listings in flight. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

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
}
