/**
 * Elasticsearch / Logsearch as a source. The search is pushed down: a time window and the
 * phrases that matter, paged the way the server can (`elasticsearch-paging.ts`), so the index is
 * never pulled whole. Each hit becomes a syslog line again (the raw line when the document kept
 * it, otherwise an RFC 5424 line rebuilt from the document's fields).
 */
import { StepFailed, messageOf } from '../../core/errors.js';
import { secrets } from '../../core/redact.js';
import { parseSyslog } from '../../adapters/syslog.js';
import { isRecord } from '../../core/json.js';
import type { EsSourceSpec, SearchReport } from '../../core/log-source.js';
import type { FileHit } from '../../core/log-source.js';
import { EsHttpClient } from './elasticsearch-http.js';
import { detectServer, pages } from './elasticsearch-paging.js';
import { UnsupportedServer, type EsServer } from './elasticsearch-version.js';

export { PAGE_SIZE } from './elasticsearch-paging.js';
const DEFAULT_INDEX = 'logs-*';
/** Where Logsearch, Filebeat and plain syslog ingest keep the line. */
const MESSAGE_FIELDS = ['@raw', 'message', '@message', 'syslog_message'];

/** A client for the spec's server; reads --es-ca-file and registers every credential as a secret. */
export function createEsClient(spec: EsSourceSpec): EsHttpClient {
  return new EsHttpClient(spec);
}

function buildQuery(phrases: readonly string[], since?: Date, until?: Date): Record<string, unknown> {
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
  phrases: readonly string[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
  window: { since?: Date; until?: Date } = {},
): Promise<void> {
  const client = createEsClient(spec);
  const index = spec.index ?? DEFAULT_INDEX;
  const query = buildQuery(phrases, window.since, window.until);
  const record = { index, query, pages: 0, hits: 0 };
  report.esQueries.push(record);
  try {
    const server = await detectServer(client);
    report.notes.push(
      `searched ${serverName(server)} at ${secrets.redact(spec.url)} ${server.paging === 'pit' ? 'through a point in time' : 'with a scroll'}`,
    );
    for await (const hits of pages(client, server, index, query)) {
      record.pages += 1;
      for (const h of hits) {
        const src = h._source ?? {};
        const line = toLine(src);
        if (line === null) continue;
        record.hits += 1;
        report.matchedLines += 1;
        report.bytes += Buffer.byteLength(line);
        // A raw RFC 3164 line has no year or zone: the document's own @timestamp says when it was logged.
        const loggedAt = documentTime(src);
        onHit({
          line,
          source: `es:${h._index}/${h._id ?? ''}`,
          offset: 0,
          fileTime: loggedAt ?? new Date(),
          loggedAt: loggedAt ?? undefined,
        });
      }
    }
  } catch (err) {
    throw esFailure(spec, index, err);
  } finally {
    await client.close();
  }
}

function serverName(s: EsServer): string {
  if (s.version === 'unknown') return 'a server that does not say its version';
  return `${s.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${s.version}`;
}

function esFailure(spec: EsSourceSpec, index: string, err: unknown): Error {
  const hint =
    err instanceof UnsupportedServer
      ? 'Search it another way: copy its syslog files to this machine and give them with --logs'
      : 'Check --es-url, --es-index and the credentials (--es-api-key or --es-username/--es-password; for recover, ES_API_KEY or ES_USERNAME/ES_PASSWORD)';
  return new StepFailed(secrets.redact(`Elasticsearch search of ${index} at ${spec.url} failed: ${messageOf(err)}`), {
    hint,
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
