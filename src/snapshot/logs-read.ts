/**
 * The log lines a rehearsal of the snapshot needs to find the same deleted instance: every line the
 * finder's scan matches (broker actions, haproxy reloads, wal-e uploads, patroni and public-address
 * lines), grouped by the file they came from, bounded in lines and bytes.
 */
import { emptyReport, type FileHit, type LogSource } from '../core/log-source.js';
import { INSTANCE_SCAN_TERMS, PHRASES } from '../logs/search-terms.js';

/** A snapshot is something to attach to a bug report: its logs stay below this. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

export interface KeptLogs {
  /** Lines by the file (or Elasticsearch index) they came from, in the order they were read. */
  files: Map<string, { lines: string[]; fileTime: Date }>;
  bytes: number;
  lines: number;
  /** Matching lines left out past MAX_LOG_BYTES. */
  dropped: number;
}

export async function readLogs(sources: LogSource, maxBytes = MAX_LOG_BYTES): Promise<KeptLogs> {
  const kept: KeptLogs = { files: new Map(), bytes: 0, lines: 0, dropped: 0 };
  const onHit = (hit: FileHit): void => {
    const size = Buffer.byteLength(hit.line) + 1;
    if (kept.bytes + size > maxBytes) {
      kept.dropped++;
      return;
    }
    const source = hit.loggedAt ? 'elasticsearch' : hit.source;
    const file = kept.files.get(source) ?? { lines: [], fileTime: hit.fileTime };
    const time = hit.loggedAt ?? hit.fileTime;
    if (time > file.fileTime) file.fileTime = time;
    file.lines.push(hit.line);
    kept.files.set(source, file);
    kept.bytes += size;
    kept.lines++;
  };
  await sources.scan({ terms: INSTANCE_SCAN_TERMS, phrases: PHRASES }, emptyReport([]), onHit);
  return kept;
}
