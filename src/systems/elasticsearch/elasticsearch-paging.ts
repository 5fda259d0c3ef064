/**
 * Pages through every hit of a query, the way the server at --es-url can: a point in time with
 * `search_after` (Elasticsearch 7.12 and later), else a scroll (`scroll=2m`, `_search/scroll`,
 * cleared at the end). Both sort by `@timestamp`, so every server hands the lines over in the
 * same order. A server that does not say what it is (`GET /` refused to a role that may only read
 * the logs) is tried with a point in time first, and scrolled when it has none.
 */
import { isRecord } from '../../core/json.js';
import { EsResponseError, type EsHttpClient } from './elasticsearch-http.js';
import { describeServer, totalHits, UNKNOWN_SERVER, type EsServer } from './elasticsearch-version.js';

export const PAGE_SIZE = 1000;
const KEEP_ALIVE = '2m';

export interface EsHit {
  _index: string;
  _id?: string;
  /** 5.x and 6.x: the mapping type; 7.x: `_doc`; absent from 8. Not used. */
  _type?: string;
  _source?: Record<string, unknown>;
  sort?: unknown[];
}

/** The server at the client's URL; UNKNOWN_SERVER when `GET /` is forbidden to these credentials. */
export async function detectServer(client: EsHttpClient): Promise<EsServer> {
  try {
    return describeServer((await client.request('GET', '/')).body);
  } catch (err) {
    if (err instanceof EsResponseError && err.status === 403) return UNKNOWN_SERVER;
    throw err;
  }
}

/** Each page of hits of `query` over `index`, in `@timestamp` order. */
export async function* pages(
  client: EsHttpClient,
  server: EsServer,
  index: string,
  query: Record<string, unknown>,
): AsyncGenerator<EsHit[]> {
  if (server.paging === 'scroll') {
    yield* scrollPages(client, index, query);
    return;
  }
  let pit: { id: string };
  try {
    pit = { id: stringField((await client.request('POST', `/${encodeURIComponent(index)}/_pit?keep_alive=${KEEP_ALIVE}`)).body, 'id') };
  } catch (err) {
    if (server !== UNKNOWN_SERVER || !lacksPit(err)) throw err;
    yield* scrollPages(client, index, query);
    return;
  }
  let paged = false;
  try {
    for await (const hits of pitPages(client, pit, query)) {
      paged = true;
      yield hits;
    }
  } catch (err) {
    // 7.10 and 7.11 open a point in time but know no _shard_doc to page it exactly by.
    if (server !== UNKNOWN_SERVER || paged || !(err instanceof EsResponseError && /_shard_doc/.test(err.message))) throw err;
  } finally {
    await client.request('DELETE', '/_pit', { id: pit.id }).catch(() => undefined);
  }
  if (!paged) yield* scrollPages(client, index, query);
}

/** Pages through the point in time `pit`, whose id follows the one each answer gives (it may change). */
async function* pitPages(client: EsHttpClient, pit: { id: string }, query: Record<string, unknown>): AsyncGenerator<EsHit[]> {
  let searchAfter: unknown[] | undefined;
  for (;;) {
    const res = await client.request('POST', '/_search', {
      pit: { id: pit.id, keep_alive: KEEP_ALIVE },
      size: PAGE_SIZE,
      sort: [{ '@timestamp': 'asc' }, { _shard_doc: 'asc' }],
      query,
      ...(searchAfter ? { search_after: searchAfter } : {}),
      track_total_hits: false,
    });
    if (isRecord(res.body) && typeof res.body.pit_id === 'string') pit.id = res.body.pit_id;
    const hits = hitsOf(res.body);
    yield hits;
    if (hits.length < PAGE_SIZE) return;
    searchAfter = hits[hits.length - 1]!.sort;
    if (!searchAfter) return;
  }
}

async function* scrollPages(client: EsHttpClient, index: string, query: Record<string, unknown>): AsyncGenerator<EsHit[]> {
  let res = await client.request('POST', `/${encodeURIComponent(index)}/_search?scroll=${KEEP_ALIVE}`, {
    size: PAGE_SIZE,
    sort: [{ '@timestamp': 'asc' }, '_doc'],
    query,
  });
  let scrollId = stringField(res.body, '_scroll_id');
  try {
    let seen = 0;
    for (;;) {
      const hits = hitsOf(res.body);
      seen += hits.length;
      yield hits;
      const total = totalHits(isRecord(res.body) ? res.body.hits : undefined);
      if (hits.length === 0 || (total !== null && seen >= total)) return;
      res = await client.request('POST', '/_search/scroll', { scroll: KEEP_ALIVE, scroll_id: scrollId });
      scrollId = stringField(res.body, '_scroll_id');
    }
  } finally {
    await client.request('DELETE', '/_search/scroll', { scroll_id: [scrollId] }).catch(() => undefined);
  }
}

/** A server without points in time: `no handler found` (400) or the wrong method for `/{index}/{id}` (405). */
function lacksPit(err: unknown): boolean {
  return err instanceof EsResponseError && (err.status === 405 || (err.status === 400 && /no handler found/i.test(err.message)));
}

function stringField(body: unknown, name: string): string {
  const v = isRecord(body) ? body[name] : undefined;
  if (typeof v !== 'string') throw new Error(`the answer has no ${name}`);
  return v;
}

function hitsOf(body: unknown): EsHit[] {
  const outer = isRecord(body) ? body.hits : undefined;
  const list = isRecord(outer) ? outer.hits : undefined;
  if (!Array.isArray(list)) throw new Error('the answer has no hits.hits');
  return list.filter((h): h is EsHit => isRecord(h) && typeof h._index === 'string');
}
