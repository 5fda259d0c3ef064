/**
 * Pages through every hit of a query with a scroll (`scroll=2m`, `_search/scroll` with a JSON
 * body, cleared at the end whatever happens), sorted by `@timestamp` then `_doc`: one way that every
 * release from Elasticsearch 2.0 to 9.x and OpenSearch 1 and 2 takes as it is, so no probe for a
 * point in time is needed (a probe that, on 5.x to 7.9, lands on the typed document route).
 *
 * Each answer is read whole before its hits are used: a search that lost shards (`_shards.failed`,
 * a busy node rejecting one, 200 OK) or ran out of time (`timed_out`) holds only part of the
 * evidence, and stops the search; so does a pattern that named no index at all (`_shards.total` 0).
 * A scroll that makes no progress (a page of the very documents of the page before) or reads past the
 * cap on documents (--es-max-docs) stops too, saying which, rather than read on without end.
 */
import { isRecord } from '../../core/json.js';
import { DEFAULT_ES_MAX_DOCS } from '../../core/log-source.js';
import { EsResponseError, type EsHttpClient } from './elasticsearch-http.js';
import { describeServer, totalHits, UNKNOWN_SERVER, type EsServer } from './elasticsearch-version.js';

export const PAGE_SIZE = 1000;
const KEEP_ALIVE = '2m';

export interface EsHit {
  _index: string;
  _id?: string;
  /** Before 8: the mapping type. Not used. */
  _type?: string;
  _source?: Record<string, unknown>;
}

/** A search whose answer is not the whole of what it asked for: lost shards, a timeout, no index. */
export class PartialAnswer extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/**
 * The server at the client's URL; UNKNOWN_SERVER when `GET /` is forbidden to these credentials
 * (a role without `cluster:monitor/main`), which the scroll does not need. Every Elasticsearch
 * answers `GET /`: a 404 there is another web server, or a path in --es-url that is not its root.
 */
export async function detectServer(client: EsHttpClient): Promise<EsServer> {
  try {
    return describeServer((await client.request('GET', '/')).body);
  } catch (err) {
    if (err instanceof EsResponseError && err.status === 403) return UNKNOWN_SERVER;
    if (err instanceof EsResponseError && err.status === 404)
      throw new Error(
        `it is not Elasticsearch: GET / answered 404 (${err.message}), where every Elasticsearch and OpenSearch describes itself`,
        {
          cause: err,
        },
      );
    throw err;
  }
}

/** Each page of hits of `query` over `index`, in `@timestamp` order. */
export async function* pages(
  client: EsHttpClient,
  index: string,
  query: Record<string, unknown>,
  maxDocs = DEFAULT_ES_MAX_DOCS,
): AsyncGenerator<EsHit[]> {
  // The patterns' commas stay as they are: each pattern is encoded alone.
  const indices = index.split(',').map(encodeURIComponent).join(',');
  let res = await client.request('POST', `/${indices}/_search?scroll=${KEEP_ALIVE}`, {
    size: PAGE_SIZE,
    // An index that holds no @timestamp (an empty one, .kibana under a wide pattern: Logsearch's templates
    // leave the field to dynamic mapping) sorts its documents last, where without unmapped_type its
    // shards would fail the search ("No mapping found for [@timestamp] in order to sort on"); ES 1.4 on.
    sort: [{ '@timestamp': { order: 'asc', unmapped_type: 'date' } }, '_doc'],
    query,
  });
  let scrollId = isRecord(res.body) && typeof res.body._scroll_id === 'string' ? res.body._scroll_id : undefined;
  try {
    checkWhole(res.body, index);
    if (scrollId === undefined) throw new Error('the answer has no _scroll_id');
    let seen = 0;
    let before = new Set<string>();
    for (;;) {
      const hits = hitsOf(res.body);
      const page = new Set(hits.map(docKey));
      if (hits.length && [...page].every((k) => k !== '' && before.has(k)))
        throw new PartialAnswer(
          `the scroll answered the same ${hits.length} document(s) as its page before, after ${seen} read: it makes no progress`,
          'The cluster (or a proxy before it) repeats a page of the scroll: check it, or search a narrower window with --since/--until; nothing was ranked on a partial answer',
        );
      before = page;
      seen += hits.length;
      if (seen > maxDocs)
        throw new PartialAnswer(
          `the search passed ${maxDocs} documents, the most it reads (${seen} read) and the scroll goes on`,
          `Search a narrower window (--since/--until), or raise the cap with --es-max-docs (or ES_MAX_DOCS) to read on; nothing was ranked on a partial answer`,
        );
      yield hits;
      const total = totalHits(isRecord(res.body) ? res.body.hits : undefined);
      if (hits.length === 0 || (total !== null && seen >= total)) return;
      // Reading on is not repeated on a doubtful failure: a scroll read twice skips a page.
      res = await client.request('POST', '/_search/scroll', { scroll: KEEP_ALIVE, scroll_id: scrollId }, { idempotent: false });
      scrollId = stringField(res.body, '_scroll_id');
      checkWhole(res.body, index);
    }
  } finally {
    // Once: the server drops a scroll left open when its keep-alive ends, so a stalled clearing is not waited on again.
    if (scrollId !== undefined)
      await client.request('DELETE', '/_search/scroll', { scroll_id: [scrollId] }, { attempts: 1 }).catch(() => undefined);
  }
}

/** Throws PartialAnswer when the answer is not the whole of the search: shards failed, timed out, no index. */
function checkWhole(body: unknown, index: string): void {
  const shards = isRecord(body) && isRecord(body._shards) ? body._shards : {};
  const failed = typeof shards.failed === 'number' ? shards.failed : 0;
  if (isRecord(body) && body.timed_out === true)
    throw new PartialAnswer(
      `the search timed out on the server: the hits it answered are only part of those in ${index}`,
      'Search a narrower window (--since/--until) or when the cluster is less busy; nothing was ranked on a partial answer',
    );
  if (failed > 0) {
    const total = typeof shards.total === 'number' ? shards.total : '?';
    const failures = Array.isArray(shards.failures) ? shards.failures.filter(isRecord).slice(0, 5).map(describeFailure) : [];
    throw new PartialAnswer(
      `${failed} of ${total} shards failed, so their documents are missing from the answer${failures.length ? `: ${failures.join('; ')}` : ''}`,
      'Run it again when the cluster is healthy (a rejected shard is a busy node: check GET _cat/thread_pool/search), or search fewer indices: every daily index the pattern names is searched whatever the window, so name the days with --es-index (logstash-2016.11.*); nothing was ranked on a partial answer',
    );
  }
  if (shards.total === 0)
    throw new PartialAnswer(
      `the index pattern ${index} matched no index`,
      'Logsearch writes logstash-YYYY.MM.dd (logsearch-boshrelease) and logs-platform-YYYY.MM.dd (logsearch-for-cloudfoundry): give the one the cluster holds with --es-index (GET _cat/indices lists them)',
    );
}

function describeFailure(f: Record<string, unknown>): string {
  const where = [typeof f.index === 'string' ? f.index : '', typeof f.shard === 'number' ? `shard ${f.shard}` : '']
    .filter(Boolean)
    .join(' ');
  const reason = isRecord(f.reason)
    ? [f.reason.type, f.reason.reason].filter((x) => typeof x === 'string').join(': ')
    : typeof f.reason === 'string'
      ? f.reason
      : '';
  return `${where || 'a shard'}: ${reason || 'no reason given'}`;
}

function stringField(body: unknown, name: string): string {
  const v = isRecord(body) ? body[name] : undefined;
  if (typeof v !== 'string') throw new Error(`the answer has no ${name}`);
  return v;
}

/** What tells a document apart from the others: its index and id ('' without an id). */
const docKey = (h: EsHit): string => (h._id === undefined ? '' : `${h._index}/${h._id}`);

function hitsOf(body: unknown): EsHit[] {
  const outer = isRecord(body) ? body.hits : undefined;
  const list = isRecord(outer) ? outer.hits : undefined;
  if (!Array.isArray(list)) throw new Error('the answer has no hits.hits');
  return list.filter((h): h is EsHit => isRecord(h) && typeof h._index === 'string');
}
