/**
 * Which server answers at --es-url, from its `GET /` body, and how the log search pages through it:
 * - a point in time and `search_after` on Elasticsearch 7.12 and later, where every search through a
 *   point in time gets the `_shard_doc` tiebreaker (7.10 and 7.11 have points in time but no
 *   tiebreaker that is unique across shards, so a page boundary could skip documents there);
 * - the scroll API everywhere else: Elasticsearch 5.0 to 7.11 and OpenSearch 1 and 2 (whose
 *   point in time has another API, and only from 2.4).
 * Elasticsearch before 5.0 has another query language and error shape: it is refused, naming it.
 */
import { isRecord } from '../../core/json.js';

export interface EsServer {
  distribution: 'elasticsearch' | 'opensearch';
  /** As the server reported it, e.g. `6.8.23`. */
  version: string;
  paging: 'pit' | 'scroll';
}

/** What the log search can do when the server does not say what it is (`GET /` refused to a reading role). */
export const UNKNOWN_SERVER: EsServer = { distribution: 'elasticsearch', version: 'unknown', paging: 'pit' };

export class UnsupportedServer extends Error {}

/** The server a `GET /` body describes; throws UnsupportedServer for an Elasticsearch too old to search. */
export function describeServer(body: unknown): EsServer {
  const version = isRecord(body) && isRecord(body.version) ? body.version : null;
  const number = version && typeof version.number === 'string' ? version.number : null;
  const m = number ? /^(\d+)\.(\d+)/.exec(number) : null;
  if (!version || !number || !m) {
    throw new Error(
      `it is not Elasticsearch: its GET / answer names no version.number (${(JSON.stringify(body) as string | undefined)?.slice(0, 200) ?? String(body)})`,
    );
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (version.distribution === 'opensearch') return { distribution: 'opensearch', version: number, paging: 'scroll' };
  if (major < 5) throw new UnsupportedServer(`Elasticsearch ${number} is older than 5.0, the oldest this search supports`);
  const pit = major > 7 || (major === 7 && minor >= 12);
  return { distribution: 'elasticsearch', version: number, paging: pit ? 'pit' : 'scroll' };
}

/** How many documents matched, from `hits.total` in either shape, or null when it was not counted. */
export function totalHits(hits: unknown): number | null {
  const total = isRecord(hits) ? hits.total : undefined;
  if (typeof total === 'number') return total;
  if (isRecord(total) && typeof total.value === 'number' && total.relation === 'eq') return total.value;
  return null;
}
