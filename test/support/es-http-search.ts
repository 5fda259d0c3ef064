/**
 * The searches of the simulated Elasticsearch (`es-http.ts`): points in time with `search_after`
 * and scrolls, each a snapshot of the documents taken when it is opened (so every search the CLI
 * makes sees lines appended since), answered in the shapes of the release simulated.
 */
import { randomBytes } from 'node:crypto';
import type { EsFlavour } from './es-http-versions.js';
import type { Generation } from './es-http-mappings.js';
import {
  asList,
  badRequest,
  compare,
  dateMs,
  EsError,
  isObject,
  keepAliveMs,
  compileQuery,
  MAX_RESULT_WINDOW,
  sortKeys,
  sortValues,
  type Json,
  type SnapshotDoc,
  type SortKey,
} from './es-http-query.js';

interface Matched {
  d: SnapshotDoc;
  sort: number[];
}

interface Context {
  docs: SnapshotDoc[];
  /** How many indices the search named (0: `_shards.total` is 0). */
  indices: number;
  expiresAt: number;
  /** The last query's result, kept while the same search pages on. */
  cache?: { key: string; matched: Matched[] };
  /** A scroll's whole result, in order, and how far it was read. */
  scroll?: { matched: Matched[]; size: number; read: number; keys: SortKey[] | null };
}

const SEARCH_KEYS = new Set(['pit', 'size', 'from', 'sort', 'query', 'search_after', 'track_total_hits', '_source']);
/** Each index has 5 shards (the default before 7.0, and Logsearch's); document i lives on shard i % 5. */
const SHARDS_PER_INDEX = 5;

/** The documents a search reads (the index's, when the expression names it) and how many indices it named. */
export type Snapshotter = (expression: string) => { docs: SnapshotDoc[]; indices: number };

/** How the simulated cluster fails a search while answering 200: shards rejected, or out of time. */
export interface Partial {
  failedShards: number;
  timedOut: boolean;
}

/** Whether the searched index maps `@timestamp`: dynamically, once a document held it (none searched, none to fail). */
function timestampMapped(c: Context): boolean {
  return c.indices === 0 || c.docs.some((d) => d._source['@timestamp'] !== undefined);
}

export class SearchContexts {
  private readonly pits = new Map<string, Context>();
  private readonly scrolls = new Map<string, Context>();

  constructor(
    private readonly flavour: EsFlavour,
    private readonly snapshot: Snapshotter,
    private readonly partial: Partial = { failedShards: 0, timedOut: false },
  ) {}

  /** `_shards` of an answer: 5 a named index, some failed (with Elasticsearch's failure entries) when told. */
  private shards(c: Context): Json {
    const total = c.indices * SHARDS_PER_INDEX;
    const failed = Math.min(this.partial.failedShards, total);
    const failures = Array.from({ length: failed }, (_, shard) => ({
      shard,
      index: c.docs[0]?._index ?? 'logs',
      node: 'x3hYeNlVTd2sj9dSVlDvHw',
      reason: {
        type: 'es_rejected_execution_exception',
        reason:
          'rejected execution of org.elasticsearch.common.util.concurrent.TimedRunnable on QueueResizingEsThreadPoolExecutor[name = logsearch-es-data-2/search, queue capacity = 1000]',
      },
    }));
    return { total, successful: total - failed, skipped: 0, failed, ...(failed ? { failures } : {}) };
  }

  /** The documents a search sees: those of the shards that answered. */
  private reachable(c: Context): SnapshotDoc[] {
    const failed = this.partial.failedShards;
    return failed ? c.docs.filter((d) => d.shardDoc % SHARDS_PER_INDEX >= failed) : c.docs;
  }

  openIds(kind: 'pit' | 'scroll'): string[] {
    const map = kind === 'pit' ? this.pits : this.scrolls;
    return [...map.entries()].filter(([, c]) => c.expiresAt >= Date.now()).map(([id]) => id);
  }

  openPit(expression: string, params: Record<string, string>): { body: Json; documents: number } {
    if (params.keep_alive === undefined) throw badRequest('[keep_alive] is required', 'action_request_validation_exception');
    const ttl = keepAliveMs(params.keep_alive);
    const { docs, indices } = this.snapshot(expression);
    const id = randomBytes(48).toString('base64url');
    const context = { docs, indices, expiresAt: Date.now() + ttl };
    this.pits.set(id, context);
    return { body: { id, _shards: this.shards(context) }, documents: docs.length };
  }

  closePit(body: unknown): { status: number; body: Json } {
    return this.free(this.pits, isObject(body) ? asList(body.id) : [], 'id');
  }

  searchPit(body: unknown): { body: Json; hits: number } {
    if (!isObject(body)) throw badRequest('a search through a point in time needs a body', 'action_request_validation_exception');
    this.checkKeys(body);
    const pitSpec = body.pit;
    if (!isObject(pitSpec))
      throw badRequest(
        'this server searches only through a point in time or a scroll ([pit] is missing)',
        'action_request_validation_exception',
      );
    const pit = this.live(this.pits, pitSpec.id);
    if (pitSpec.keep_alive !== undefined) pit.expiresAt = Date.now() + keepAliveMs(pitSpec.keep_alive);
    const size = pageSize(body);
    const keys = sortKeys(body.sort ?? [{ _shard_doc: 'asc' }], {
      shardDoc: this.flavour.shardDoc,
      tiebreaker: this.flavour.shardDoc,
      timestampMapped: timestampMapped(pit),
    });
    const after = searchAfter(body.search_after, keys);
    const key = JSON.stringify([body.query, keys]);
    if (pit.cache?.key !== key) pit.cache = { key, matched: this.run(this.reachable(pit), body.query, keys) };
    const matching = pit.cache.matched;
    const page = (after ? matching.filter((m) => compare(m.sort, after, keys) > 0) : matching).slice(0, size);
    const hits = this.hits(page, matching.length, body.track_total_hits, true);
    const id = pitSpec.id as string;
    return { body: { pit_id: id, took: 1, timed_out: this.partial.timedOut, _shards: this.shards(pit), hits }, hits: page.length };
  }

  openScroll(expression: string, params: Record<string, string>, body: unknown): { body: Json; hits: number; documents: number } {
    const ttl = keepAliveMs(params.scroll);
    const spec = isObject(body) ? body : {};
    this.checkKeys(spec);
    if (spec.pit !== undefined)
      throw badRequest('using [point in time] is not allowed in a scroll context', 'action_request_validation_exception');
    if (spec.search_after !== undefined)
      throw badRequest('[search_after] cannot be used in a scroll context', 'action_request_validation_exception');
    const { docs, indices } = this.snapshot(expression);
    const context: Context = { docs, indices, expiresAt: Date.now() + ttl };
    const keys =
      spec.sort === undefined
        ? null
        : sortKeys(spec.sort, { shardDoc: this.flavour.shardDoc, tiebreaker: false, timestampMapped: timestampMapped(context) });
    const matched = this.run(this.reachable(context), spec.query, keys ?? [{ field: '_shard_doc', desc: false }]);
    const id = Buffer.from(`DXF1ZXJ5QW5kRmV0Y2gBAAAAAAAA${randomBytes(24).toString('base64url')}`).toString('base64');
    context.scroll = { matched, size: pageSize(spec), read: 0, keys };
    this.scrolls.set(id, context);
    const page = this.next(context);
    return { body: { _scroll_id: id, ...page.body }, hits: page.hits, documents: docs.length };
  }

  nextScroll(params: Record<string, string>, body: unknown): { body: Json; hits: number } {
    const spec = isObject(body) ? body : {};
    const id = typeof spec.scroll_id === 'string' ? spec.scroll_id : params.scroll_id;
    if (id === undefined) throw badRequest('Validation Failed: 1: scrollId is missing;', 'action_request_validation_exception');
    const context = this.live(this.scrolls, id);
    const keepAlive = spec.scroll ?? params.scroll;
    if (keepAlive !== undefined) context.expiresAt = Date.now() + keepAliveMs(keepAlive);
    const page = this.next(context);
    return { body: { _scroll_id: id, ...page.body }, hits: page.hits };
  }

  clearScroll(body: unknown): { status: number; body: Json } {
    return this.free(this.scrolls, isObject(body) ? asList(body.scroll_id) : [], 'scroll_id');
  }

  private next(context: Context): { body: Json; hits: number } {
    const s = context.scroll!;
    const page = s.matched.slice(s.read, s.read + s.size);
    s.read += page.length;
    const hits = this.hits(page, s.matched.length, undefined, s.keys !== null);
    return { body: { took: 1, timed_out: this.partial.timedOut, _shards: this.shards(context), hits }, hits: page.length };
  }

  private run(docs: SnapshotDoc[], query: unknown, keys: SortKey[]): Matched[] {
    const q = query ?? { match_all: {} };
    // The query is read once for each generation of index the documents are in.
    const tests = new Map<Generation, (src: Json) => boolean>();
    const test = (g: Generation) => tests.get(g) ?? tests.set(g, compileQuery(q, g)).get(g)!;
    const matching = docs.filter((d) => test(d.generation)(d._source)).map((d) => ({ d, sort: sortValues(d, keys) }));
    return matching.sort((a, b) => compare(a.sort, b.sort, keys));
  }

  /** `hits` in the release's shapes: `total` a number before 7, `_type` before 8, `sort` when sorted. */
  private hits(page: Matched[], total: number, track: unknown, sorted: boolean): Json {
    const f = this.flavour;
    let counted: Json = {};
    if (!f.totalIsObject) counted = { total };
    else if (track === true || (track !== false && total <= MAX_RESULT_WINDOW)) counted = { total: { value: total, relation: 'eq' } };
    else if (track !== false) counted = { total: { value: MAX_RESULT_WINDOW, relation: 'gte' } };
    return {
      ...counted,
      max_score: null,
      hits: page.map(({ d, sort }) => ({
        _index: d._index,
        ...(f.type ? { _type: f.type } : {}),
        _id: d._id,
        _score: null,
        _source: d._source,
        ...(sorted ? { sort } : {}),
      })),
    };
  }

  private checkKeys(body: Json): void {
    for (const k of Object.keys(body)) {
      if (!SEARCH_KEYS.has(k) || (k === 'track_total_hits' && !this.flavour.trackTotalHits))
        throw badRequest(`Unknown key for a ${typeof body[k] === 'boolean' ? 'VALUE_BOOLEAN' : 'VALUE_STRING'} in [${k}].`);
    }
  }

  private live(map: Map<string, Context>, id: unknown): Context {
    const context = typeof id === 'string' ? map.get(id) : undefined;
    if (context && context.expiresAt < Date.now()) map.delete(id as string);
    if (!context || context.expiresAt < Date.now())
      throw new EsError(404, 'search_context_missing_exception', `No search context found for id [${String(id)}]`);
    return context;
  }

  private free(map: Map<string, Context>, ids: unknown[], name: string): { status: number; body: Json } {
    if (ids.length === 0) throw badRequest(`[${name}] is required`, 'action_request_validation_exception');
    let freed = 0;
    for (const id of ids) if (typeof id === 'string' && map.delete(id)) freed += 1;
    return { status: freed > 0 ? 200 : 404, body: { succeeded: true, num_freed: freed } };
  }
}

function pageSize(body: Json): number {
  const size = body.size === undefined ? 10 : Number(body.size);
  if (!Number.isInteger(size) || size < 0 || size > MAX_RESULT_WINDOW) {
    throw badRequest(
      `Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${String(body.size)}]`,
      'illegal_argument_exception',
    );
  }
  if (body.from !== undefined && Number(body.from) !== 0)
    throw badRequest('[from] is not supported here: page with search_after', 'illegal_argument_exception');
  return size;
}

function searchAfter(raw: unknown, keys: SortKey[]): number[] | null {
  if (raw === undefined) return null;
  if (!Array.isArray(raw) || raw.length !== keys.length) {
    throw badRequest(`search_after has ${asList(raw).length} value(s) but sort has ${keys.length}.`, 'illegal_argument_exception');
  }
  return raw.map((v, i) => {
    const n = keys[i]!.field === '@timestamp' ? dateMs(v) : typeof v === 'number' ? v : null;
    if (n === null)
      throw badRequest(`search_after value [${String(v)}] does not fit sort field [${keys[i]!.field}]`, 'illegal_argument_exception');
    return n;
  });
}
