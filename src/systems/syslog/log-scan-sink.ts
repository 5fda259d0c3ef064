/**
 * What a scan does with what it finds in one file or stream: each matching line goes to the
 * caller with its source and byte offset, overlong and binary lines become counted problems, and
 * the first lines are sniffed to report a file that is not syslog at all.
 */
import { parseSyslog } from '../../adapters/syslog.js';
import { withoutFrameHeader } from '../../adapters/syslog-frames.js';
import { reportProblem, type FileHit, type ScanTerm, type SearchReport } from '../../core/log-source.js';
import { TermScanner } from './term-scanner.js';
import type { FoldedSink } from './wale-runs.js';

export interface ChunkScanner {
  push(chunk: Buffer): void;
  end(): void;
}

const SNIFF_LINES = 20;

/** Whether the first lines of a file look like syslog (or at least text), to report unknown formats. */
export function sniff(name: string, chunk: Buffer, fileTime: Date, report: SearchReport, entry: SearchReport['files'][number]): void {
  const head = chunk.subarray(0, Math.min(chunk.length, 64 * 1024));
  if (head.indexOf(0) >= 0 && head.subarray(0, 512).indexOf(0) >= 0 && !head.subarray(0, 512).toString('latin1').includes('\n')) {
    entry.note = 'binary content';
    return; // counted line by line as binary
  }
  // Lines with NUL bytes are counted as binary by the scanner, not judged here.
  const lines = head
    .toString('utf8')
    .split('\n', SNIFF_LINES + 1)
    .slice(0, SNIFF_LINES)
    .filter((l) => l.trim() !== '' && !l.includes('\u0000'));
  if (lines.length === 0) return;
  if (lines.some((l) => parseSyslog(withoutFrameHeader(l), fileTime) !== null)) return;
  entry.note = 'unknown format: no syslog line among the first lines; searched as plain text';
  reportProblem(
    report,
    'unknownFormat',
    { path: name },
    `none of the first ${lines.length} lines is syslog (RFC 3164, RFC 5424, RFC 3339-dated, octet-counted); searched as plain text`,
  );
}

/** Where the lines a scan of one file or stream finds go: its hits counted and passed on, its overlong and binary lines reported. */
export function fileSink(
  name: string,
  fileTime: Date,
  report: SearchReport,
  entry: SearchReport['files'][number],
  onHit: (hit: FileHit) => void,
): FoldedSink {
  return {
    hit(line, offset, stands) {
      entry.matchedLines += stands ?? 1;
      report.matchedLines += stands ?? 1;
      onHit(stands === undefined ? { line, source: name, offset, fileTime } : { line, source: name, offset, fileTime, stands });
    },
    longLine(offset, length) {
      reportProblem(report, 'longLine', { path: name, offset }, `a ${length}-byte line (over 1 MiB) was not searched`);
    },
    binaryLines(offset, count) {
      reportProblem(report, 'binary', { path: name, offset }, `${count} line(s) with NUL bytes were not searched`, count);
    },
  };
}

/** A scanner for one file or stream: its hits and problems into fileSink, its first lines sniffed. */
export function makeScanner(
  name: string,
  fileTime: Date,
  terms: readonly ScanTerm[],
  report: SearchReport,
  entry: SearchReport['files'][number],
  onHit: (hit: FileHit) => void,
): ChunkScanner {
  const scanner = new TermScanner(terms, fileSink(name, fileTime, report, entry, onHit));
  let first = true;
  return {
    push(chunk) {
      if (first) {
        first = false;
        sniff(name, chunk, fileTime, report, entry);
      }
      scanner.push(chunk);
    },
    end: () => {
      scanner.end();
    },
  };
}
