/**
 * Elasticsearch / Logsearch as a source. The search is pushed down: a time window and the
 * phrases that matter, scrolled (`elasticsearch-paging.ts`), so the index is never pulled whole.
 * Logsearch analyses its text fields with the standard analyzer, so a phrase matches whole words
 * only (`deprovision.start` is not a word of `dingo-postgresql-broker.deprovision.start`): the
 * phrases pushed down are the caller's broad, word-aligned ones. logsearch-boshrelease analyses only
 * `@raw` and keeps `@message` whole, so there a line its syslog filter could not parse (which has no
 * `@raw`) matches no phrase. Each hit, a syslog line again
 * (the raw line when the document kept it, otherwise an RFC 5424 line rebuilt from the document's
 * fields), is kept only when it holds one of the scan's terms, as a line of a file must.
 */
import { StepFailed, messageOf } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { parseSyslog } from '../../adapters/syslog.js';
import { isRecord } from '../../core/json.js';
import { LOGSEARCH_INDEX, termText, type EsSourceSpec, type FileHit, type ScanTerm, type SearchReport } from '../../core/log-source.js';
import { EsStalled } from './elasticsearch-attempts.js';
import { EsHttpClient } from './elasticsearch-http.js';
import { detectServer, pages, PartialAnswer } from './elasticsearch-paging.js';
import { UnsupportedServer, type EsServer } from './elasticsearch-version.js';
import { HOST_FIELDS, MESSAGE_FIELDS, PROGRAM_FIELDS } from './logsearch-fields.js';

export { PAGE_SIZE } from './elasticsearch-paging.js';

/** A client for the spec's server; reads --es-ca-file and registers every credential as a secret. */
export function createEsClient(spec: EsSourceSpec): EsHttpClient {
  return new EsHttpClient(spec);
}

/** What is asked for: PHRASES within the window, DESCRIBING (LogScan's) whenever they were logged. */
interface EsWindow {
  since?: Date;
  until?: Date;
  describing?: readonly string[];
}

function buildQuery(phrases: readonly string[], { since, until, describing = [] }: EsWindow): Record<string, unknown> {
  const match = (list: readonly string[]): unknown[] =>
    list.map((p) => ({ multi_match: { query: p, type: 'phrase', fields: MESSAGE_FIELDS } }));
  const filter: unknown[] = [];
  if (since || until) {
    const range: Record<string, string> = {};
    if (since) range.gte = since.toISOString();
    if (until) range.lte = until.toISOString();
    filter.push({ range: { '@timestamp': range } });
  }
  const inWindow = { bool: { filter, should: match(phrases), minimum_should_match: 1 } };
  if (filter.length === 0 || describing.length === 0) return inWindow;
  return { bool: { should: [inWindow, { bool: { should: match(describing), minimum_should_match: 1 } }], minimum_should_match: 1 } };
}

/** Whether a line holds one of the terms, as the scan of a file would keep it (`ScanTerm`). */
function holdsTerm(line: string, terms: readonly ScanTerm[]): boolean {
  return terms.some((t) => line.includes(termText(t)) && (typeof t === 'string' || t.onlyWith.some((w) => line.includes(w))));
}

export async function searchEs(
  spec: EsSourceSpec,
  phrases: readonly string[],
  terms: readonly ScanTerm[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
  window: EsWindow = {},
): Promise<void> {
  const client = createEsClient(spec);
  const index = spec.index ?? LOGSEARCH_INDEX;
  const query = buildQuery(phrases, window);
  const record = { index, query, pages: 0, hits: 0 };
  report.esQueries.push(record);
  try {
    const server = await detectServer(client);
    report.notes.push(`searched ${serverName(server)} at ${client.redactor.redact(spec.url)} with a scroll`);
    for await (const hits of pages(client, index, query, spec.maxDocs)) {
      record.pages += 1;
      for (const h of hits) {
        const src = h._source ?? {};
        const line = toLine(src);
        if (line === null || !holdsTerm(line, terms)) continue;
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
    throw esFailure(spec, index, err, client.redactor);
  } finally {
    await client.close();
  }
}

function serverName(s: EsServer): string {
  if (s.version === 'unknown') return 'a server that does not say its version';
  return `${s.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${s.version}`;
}

function esFailure(spec: EsSourceSpec, index: string, err: unknown, redactor: Redactor): Error {
  const hint =
    err instanceof PartialAnswer || err instanceof EsStalled
      ? err.hint
      : err instanceof UnsupportedServer
        ? 'Search it another way: copy its syslog files to this machine and give them with --logs'
        : /index_not_found/.test(messageOf(err))
          ? 'Logsearch writes logstash-YYYY.MM.dd (logsearch-boshrelease), and logs-platform-YYYY.MM.dd and logs-unparsed-YYYY.MM.dd (logsearch-for-cloudfoundry): give --es-index with the ones GET _cat/indices lists'
          : 'Check --es-url, --es-index and the credentials (ES_API_KEY, or ES_USERNAME and ES_PASSWORD, in the environment; logs also takes them as --es-api-key, --es-username, --es-password)';
  return new StepFailed(redactor.redact(`Elasticsearch search of ${index} at ${spec.url} failed: ${messageOf(err)}`), {
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
  // A line forwarded over TCP keeps its RFC 6587 length in @raw (logsearch's grok allows `syslog6587_msglen`).
  message = message.replace(/^\d{1,7} (?=<\d{1,3}>)/, '');
  const host = pick(src, HOST_FIELDS);
  const program = pick(src, PROGRAM_FIELDS);
  const sys = parseSyslog(message, new Date());
  if (sys !== null && (program === null || (program === sys.tag && (host === null || host === sys.host)))) return message;
  const ts = typeof src['@timestamp'] === 'string' ? src['@timestamp'] : '-';
  return `<14>1 ${ts} ${host ?? '-'} ${program ?? '-'} - - - ${message}`;
}

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
