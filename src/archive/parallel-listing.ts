/**
 * Lists everything under a wal-e prefix quickly and completely.
 *
 * One ordered listing of the whole prefix starts; a prefix of one page costs one
 * request. A listing that has returned `splitAfter` keys and still goes on, in a
 * folder of WAL names (`wal_005/`, where nearly all keys live), estimates the
 * key density from what it has seen and cuts the key space around its current
 * key into blocks of about `blockKeys` keys, each a prefix one WAL-name
 * character (hex digits and ".") longer than their parent. It keeps its own
 * block, hands the later blocks of the same parent to listings of their own,
 * and hands everything after them (keys of other characters there, later
 * parents, later folders) to one listing that starts after them with S3's
 * StartAfter. So each request returns a nearly full page under a narrow prefix,
 * and the end of the archive costs one request per parent, not one empty
 * request per possible character. Keys whose characters fall between WAL-name
 * characters (":" to "@") are fetched by one bounded request per parent. With
 * startAfter, the listing is complete.
 *
 * A store whose listing ignores `startAfter` (it answers with a key at or
 * before it) is noticed on its first answer. With `complete`, the listing is
 * then redone as one sequential scan. Without, the key space after a parent is
 * listed as one prefix per greater WAL-name character at each position of the
 * folder, about fifteen mostly empty requests per position, and keys outside
 * WAL names at those positions, or after the WAL folder, are not reached;
 * neither wal-e nor wal-g writes such keys.
 */
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { Gate } from '../core/concurrency.js';
import { planBlocks, prefixesAfter, type BlockPlan } from './wal-key-blocks.js';

export interface ListOptions {
  /** Listings running at once. */
  concurrency?: number;
  /** Keys a listing of unknown extent returns before it cuts the rest of its range into blocks. */
  splitAfter?: number;
  /**
   * Keys aimed at per block (default 8000, eight pages of 1000). Each block ends in a part-full
   * page: on 100,000 keys blocks of 4000 made 132 requests, blocks of 8000 make 116, and still
   * 16 listings run at once.
   */
  blockKeys?: number;
  /** One sequential scan of the whole prefix instead of the parallel plan. */
  exhaustive?: boolean;
  /** Every key, whatever its name: on a store that ignores startAfter, one sequential scan. */
  complete?: boolean;
}

/** Runs of other characters between two WAL-name characters (wal-key-blocks.ts), as [before, after]. */
const GAPS: Array<[string, string]> = [
  ['.', '0'],
  ['9', 'A'],
];
/** Split positions stay within the 24 characters of a segment name. */
const NAME_LENGTH = 24;
/** Sorts after every key that starts with what it is appended to (the highest code point). */
const AFTER_ALL = '\u{10FFFF}';

export async function listArchiveObjects(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  opts: ListOptions = {},
): Promise<ObjectInfo[]> {
  const out = new Map<string, ObjectInfo>();
  const exhaustive = async (): Promise<ObjectInfo[]> => {
    out.clear();
    for await (const o of store.list(bucket, prefix)) out.set(o.key, o);
    return sorted(out);
  };
  if (opts.exhaustive) return exhaustive();
  let answered!: (honoured: boolean | undefined) => void;
  const ctx: Ctx = {
    store,
    bucket,
    out,
    gate: new Gate(Math.max(1, opts.concurrency ?? 16)),
    splitAfter: Math.max(1, opts.splitAfter ?? 1000),
    blockKeys: Math.max(1, opts.blockKeys ?? 8000),
    complete: opts.complete ?? false,
    startAfter: undefined,
    firstAnswer: new Promise((resolve) => (answered = resolve)),
    answered: (honoured) => {
      answered(honoured);
    },
    abandoned: false,
  };
  await listRange(ctx, prefix, undefined, undefined, undefined);
  if (ctx.abandoned) return exhaustive();
  return sorted(out);
}

interface Ctx {
  store: ObjectStore;
  bucket: string;
  out: Map<string, ObjectInfo>;
  gate: Gate;
  splitAfter: number;
  blockKeys: number;
  complete: boolean;
  /** Whether the store honours startAfter; undefined until its first answer to one. */
  startAfter: boolean | undefined;
  /** That first answer (undefined when it held no key, which tells nothing). */
  firstAnswer: Promise<boolean | undefined>;
  answered(honoured: boolean | undefined): void;
  /** Set when `complete` meets a store without startAfter: every listing stops. */
  abandoned: boolean;
}

/** Set by another listing while this one awaited. */
function abandoned(ctx: Ctx): boolean {
  return ctx.abandoned;
}

function sorted(out: Map<string, ObjectInfo>): ObjectInfo[] {
  return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function open(ctx: Ctx, prefix: string, after: string | undefined): AsyncIterable<ObjectInfo> {
  if (after === undefined) return ctx.store.list(ctx.bucket, prefix);
  return ctx.store.list(ctx.bucket, prefix, { startAfter: after });
}

/** S3 orders keys by their UTF-8 bytes. */
function utf8After(key: string, after: string): boolean {
  return Buffer.compare(Buffer.from(key, 'utf8'), Buffer.from(after, 'utf8')) > 0;
}

function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** The keys a listing saw lately that share a folder or block: the density of keys is estimated from them. */
interface Run {
  prefix: string;
  first: string;
  seen: number;
}

/**
 * Keys under `scope` after `after` (all of them when undefined) and before `before`.
 * `expected`: the estimated size of a block, which it lists whole unless it turns out
 * much larger.
 */
async function listRange(
  ctx: Ctx,
  scope: string,
  after: string | undefined,
  expected: number | undefined,
  before: string | undefined,
  zone = scope,
): Promise<void> {
  if (ctx.abandoned) return;
  if (after !== undefined && ctx.startAfter === false) return listWithout(ctx, scope, after, before, zone);
  const children: Promise<void>[] = [];
  let ignored = false;
  let sawKey = false;
  let release = await ctx.gate.acquire();
  try {
    let block = scope;
    const run: Run = { prefix: '', first: '', seen: 0 };
    let seen = 0;
    let limit = expected === undefined ? ctx.splitAfter : Math.max(ctx.splitAfter, 2 * expected);
    for await (const o of open(ctx, scope, after)) {
      if (abandoned(ctx)) break;
      if (after !== undefined && ctx.startAfter !== true) {
        sawKey = true;
        ignored = !honoursStartAfter(ctx, o.key, after);
        if (ignored) break;
      }
      if (!o.key.startsWith(block) || (before !== undefined && o.key >= before)) break;
      ctx.out.set(o.key, o);
      const folder = folderOf(o.key);
      extendRun(run, block.startsWith(folder) ? block : folder, o.key);
      if (++seen < limit) continue;
      seen = 0;
      const plan = planBlocks(run.prefix, run.first, o.key, folder.length + NAME_LENGTH, run.seen, ctx.blockKeys);
      if (!plan) continue;
      const zoneHere = listAfterParent(ctx, block, o.key, plan, before, children);
      if (ctx.startAfter === undefined) {
        // The first answer after a parent decides how the rest goes; this listing gives way meanwhile.
        release();
        await ctx.firstAnswer;
        release = await ctx.gate.acquire();
        if (abandoned(ctx)) break;
      }
      listSiblings(ctx, plan, zoneHere, children);
      limit = Math.max(ctx.splitAfter, 2 * plan.estimate);
      Object.assign(run, { prefix: plan.block, first: o.key, seen: 1 });
      if (ctx.startAfter === true) {
        // The rest of this block under its own narrow prefix: as many requests as going on here.
        children.push(listRange(ctx, plan.block, o.key, plan.estimate, undefined, plan.block));
        break;
      }
      block = plan.block;
    }
  } finally {
    release();
    if (after !== undefined && !sawKey && ctx.startAfter === undefined) ctx.answered(undefined);
  }
  if (ignored) children.push(listWithout(ctx, scope, after!, before, zone));
  await Promise.all(children);
}

/**
 * Whether the store honoured startAfter, judged by the first key of a listing that gave it: a
 * key at or before it means the store listed from the start of the prefix. The first judgement
 * is told to every listing waiting for it; with `complete`, ignoring it abandons the plan.
 */
function honoursStartAfter(ctx: Ctx, key: string, after: string): boolean {
  const honoured = utf8After(key, after);
  ctx.startAfter = honoured;
  ctx.answered(honoured);
  if (!honoured && ctx.complete) ctx.abandoned = true;
  return honoured;
}

/** Counts `key` in the run of keys under `prefix`, starting a new run when the prefix changed. */
function extendRun(run: Run, prefix: string, key: string): void {
  if (prefix !== run.prefix) Object.assign(run, { prefix, first: key, seen: 0 });
  run.seen++;
}

/**
 * Starts the listing of everything after the blocks of `plan.parent` under `block`: it finds the next
 * parent, and its first answer tells whether the store honours startAfter. Returns the zone later
 * prefix listings keep to without startAfter: from the first folder below `block` when that is a
 * folder (the archive's, whose own name is no WAL name), else `block`.
 */
function listAfterParent(
  ctx: Ctx,
  block: string,
  key: string,
  plan: BlockPlan,
  before: string | undefined,
  children: Promise<void>[],
): string {
  const cut = key.indexOf('/', block.length);
  const zoneHere = block.endsWith('/') && cut >= 0 ? key.slice(0, cut + 1) : block;
  children.push(listRange(ctx, block, `${plan.parent}F${AFTER_ALL}`, undefined, before, zoneHere));
  return zoneHere;
}

/** Starts the listings of the blocks after `plan.block` in its parent, and of the keys between WAL-name characters there. */
function listSiblings(ctx: Ctx, plan: BlockPlan, zone: string, children: Promise<void>[]): void {
  if (ctx.startAfter === true) {
    for (const [x, y] of GAPS) {
      if (plan.at <= x) children.push(listRange(ctx, plan.parent, plan.parent + x + AFTER_ALL, undefined, plan.parent + y, zone));
    }
  }
  for (const b of plan.siblings) children.push(listRange(ctx, b, undefined, plan.estimate, undefined, b));
}

/** Keys under `scope` after `after` on a store that ignores startAfter: WAL-name prefixes within `zone`. */
async function listWithout(ctx: Ctx, scope: string, after: string, before: string | undefined, zone: string): Promise<void> {
  // Bounded ranges hold only names outside WAL names; the zone keeps to the folder of WAL names.
  if (ctx.abandoned || before !== undefined) return;
  const from = zone.startsWith(scope) ? zone : scope;
  if (!after.startsWith(from)) return;
  await Promise.all(prefixesAfter(from, after).map((p) => listRange(ctx, p, undefined, undefined, undefined, p)));
}
