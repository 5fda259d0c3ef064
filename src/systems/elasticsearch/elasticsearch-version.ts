/**
 * Which server answers at --es-url, from its `GET /` body. Every release from Elasticsearch 2.0
 * (the November-2016 Logsearch ran 2.3) to 9.x and OpenSearch 1 and 2 takes the same search:
 * `bool.filter`, a `_doc` tiebreaker, a scroll read on and cleared with JSON bodies, errors as
 * `{"error": {"type", "reason"}}`. Elasticsearch 1.x has none of these: it is refused, naming it.
 */
import { isRecord } from '../../core/json.js';

export interface EsServer {
  distribution: 'elasticsearch' | 'opensearch';
  /** As the server reported it, e.g. `6.8.23`, or `unknown` when `GET /` is forbidden to these credentials. */
  version: string;
}

/** A server that does not say what it is (`GET /` refused to a role that may only read the logs). */
export const UNKNOWN_SERVER: EsServer = { distribution: 'elasticsearch', version: 'unknown' };

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
  if (version.distribution === 'opensearch') return { distribution: 'opensearch', version: number };
  if (Number(m[1]) < 2)
    throw new UnsupportedServer(
      `Elasticsearch ${number} is older than 2.0, the oldest this search supports (1.x has no bool filter clause, _doc sort or JSON scroll bodies)`,
    );
  return { distribution: 'elasticsearch', version: number };
}

/** How many documents matched, from `hits.total` in either shape, or null when it was not counted. */
export function totalHits(hits: unknown): number | null {
  const total = isRecord(hits) ? hits.total : undefined;
  if (typeof total === 'number') return total;
  if (isRecord(total) && typeof total.value === 'number' && total.relation === 'eq') return total.value;
  return null;
}
