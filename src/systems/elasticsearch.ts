/**
 * Elasticsearch / Logsearch as a source. The search is pushed down: a time window and the
 * phrases that matter, paged with a point in time and search_after, so the index is never
 * pulled whole. Each hit becomes a syslog line again (the raw line when the document kept
 * it, otherwise an RFC 5424 line rebuilt from the document's fields).
 */
import { Client, HttpConnection, type estypes } from '@elastic/elasticsearch';
import { StepFailed, UsageError, messageOf } from '../core/errors.js';
import { readInputFile } from '../core/input-file.js';
import { secrets } from '../core/redact.js';
import { parseSyslog } from '../adapters/syslog.js';
import { proxyFor } from './http-route.js';
import { isRecord } from '../core/json.js';
import type { EsSourceSpec, SearchReport } from '../core/log-source.js';
import type { FileHit } from '../core/log-source.js';

type ClientOptions = ConstructorParameters<typeof Client>[0];

const DEFAULT_INDEX = 'logs-*';
export const PAGE_SIZE = 1000;
const KEEP_ALIVE = '2m';
/** A CA bundle is a few PEM certificates; the system's whole bundle is under 1 MiB. */
const MAX_CA_BYTES = 4 * 1024 * 1024;
/** Where Logsearch, Filebeat and plain syslog ingest keep the line. */
const MESSAGE_FIELDS = ['@raw', 'message', '@message', 'syslog_message'];

export function createEsClient(spec: EsSourceSpec): Client {
  if (spec.client) return spec.client;
  secrets.register(spec.apiKey);
  secrets.register(spec.password);
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new UsageError(`--es-url ${JSON.stringify(secrets.redact(spec.url))} is not a URL`, {
      hint: 'Give the Elasticsearch endpoint, e.g. --es-url https://logsearch.example.com:9200',
    });
  }
  if (url.password) secrets.register(decodeURIComponent(url.password));
  // Through the proxy curl and aws-cli would take to it (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
  // Elasticsearch's default connection (undici) takes no proxy; its node:http one does.
  const proxy = proxyFor(url);
  const options: ClientOptions = proxy ? { node: spec.url, proxy, Connection: HttpConnection } : { node: spec.url };
  if (spec.apiKey) options.auth = { apiKey: spec.apiKey };
  else if (spec.username) options.auth = { username: spec.username, password: spec.password ?? '' };
  if (spec.caFile) {
    options.tls = {
      ca: readInputFile(spec.caFile, {
        what: 'CA file',
        maxBytes: MAX_CA_BYTES,
        hint: 'Pass the PEM file of the CA that signed the Elasticsearch certificate with --es-ca-file',
      }),
    };
  }
  return new Client(options);
}

function buildQuery(phrases: string[], since?: Date, until?: Date): Record<string, unknown> {
  const filter: unknown[] = [];
  if (since || until) {
    const range: Record<string, string> = {};
    if (since) range.gte = since.toISOString();
    if (until) range.lte = until.toISOString();
    filter.push({ range: { '@timestamp': range } });
  }
  return {
    bool: {
      filter,
      should: phrases.map((p) => ({ multi_match: { query: p, type: 'phrase', fields: MESSAGE_FIELDS } })),
      minimum_should_match: 1,
    },
  };
}

export async function searchEs(
  spec: EsSourceSpec,
  phrases: string[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
  window: { since?: Date; until?: Date } = {},
): Promise<void> {
  const client = createEsClient(spec);
  const index = spec.index ?? DEFAULT_INDEX;
  const query = buildQuery(phrases, window.since, window.until);
  const record = { index, query, pages: 0, hits: 0 };
  report.esQueries.push(record);
  let pit: string;
  try {
    pit = (await client.openPointInTime({ index, keep_alive: KEEP_ALIVE })).id;
  } catch (err) {
    throw esFailure(spec, index, err);
  }
  try {
    let searchAfter: estypes.SortResults | undefined;
    for (;;) {
      const res = await client.search<Record<string, unknown>>({
        pit: { id: pit, keep_alive: KEEP_ALIVE },
        size: PAGE_SIZE,
        sort: [{ '@timestamp': 'asc' }, { _shard_doc: 'asc' }],
        query,
        ...(searchAfter ? { search_after: searchAfter } : {}),
        track_total_hits: false,
      });
      record.pages += 1;
      if (res.pit_id) pit = res.pit_id;
      const hits = res.hits.hits;
      for (const h of hits) {
        const line = toLine(h._source ?? {});
        if (line === null) continue;
        record.hits += 1;
        report.matchedLines += 1;
        report.bytes += Buffer.byteLength(line);
        // A raw RFC 3164 line has no year or zone: the document's own @timestamp says when it was logged.
        const loggedAt = documentTime(h._source ?? {});
        onHit({
          line,
          source: `es:${h._index}/${h._id ?? ''}`,
          offset: 0,
          fileTime: loggedAt ?? new Date(),
          loggedAt: loggedAt ?? undefined,
        });
      }
      if (hits.length < PAGE_SIZE) break;
      searchAfter = hits[hits.length - 1]!.sort;
      if (!searchAfter) break;
    }
  } catch (err) {
    throw esFailure(spec, index, err);
  } finally {
    await client.closePointInTime({ id: pit }).catch(() => undefined);
  }
}

function esFailure(spec: EsSourceSpec, index: string, err: unknown): Error {
  return new StepFailed(secrets.redact(`Elasticsearch search of ${index} at ${spec.url} failed: ${messageOf(err)}`), {
    hint: 'Check --es-url, --es-index and the credentials (--es-api-key or --es-username/--es-password; for recover, ES_API_KEY or ES_USERNAME/ES_PASSWORD)',
    cause: err,
  });
}

/** When the document says its line was logged (@timestamp), or null. */
function documentTime(src: Record<string, unknown>): Date | null {
  const t = typeof src['@timestamp'] === 'string' ? new Date(src['@timestamp']) : null;
  return t && !Number.isNaN(t.getTime()) ? t : null;
}

/**
 * The syslog line a document stands for. The document's own program and host fields (set by the
 * shipper from the syslog prefix) say who wrote it: a message that is a whole syslog line is kept
 * as it is only when its prefix agrees with them, else that prefix is the writer's text (a
 * tenant's database can log a line that looks like the broker's) and stays in the payload, under
 * the document's fields. A document without a program field is a raw line as the syslog daemon
 * wrote it (its host field may be the shipper's): its own prefix says who wrote it.
 */
export function toLine(src: Record<string, unknown>): string | null {
  let message: string | null = null;
  for (const f of MESSAGE_FIELDS) {
    const v = src[f];
    if (typeof v === 'string') {
      message = v;
      break;
    }
  }
  if (message === null) return null;
  const host = pick(src, HOST_FIELDS);
  const program = pick(src, PROGRAM_FIELDS);
  const sys = parseSyslog(message, new Date());
  if (sys !== null && (program === null || (program === sys.tag && (host === null || host === sys.host)))) return message;
  const ts = typeof src['@timestamp'] === 'string' ? src['@timestamp'] : '-';
  return `<14>1 ${ts} ${host ?? '-'} ${program ?? '-'} - - - ${message}`;
}

const HOST_FIELDS = ['syslog_hostname', 'host.name', 'host', '@source.host'];
const PROGRAM_FIELDS = ['syslog_program', 'program', '@source.program', 'tag'];

function pick(src: Record<string, unknown>, paths: string[]): string | null {
  for (const p of paths) {
    let v: unknown = src[p];
    if (v === undefined && p.includes('.')) {
      v = p.split('.').reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), src);
    }
    if (typeof v === 'string' && v !== '') return v.replace(/\s+/g, '_');
  }
  return null;
}
