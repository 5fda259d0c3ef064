/**
 * Log files as a source: files, folders (recursively), rotated names, gzip detected by its
 * magic bytes, and `-` for standard input. Every problem (unreadable file, truncated gzip,
 * binary garbage, overlong line) is counted in the report; no file is skipped silently.
 */
import { createReadStream, readSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CHUNK, TermScanner } from './scan.js';
import { parseSyslog } from './syslog.js';
import { reportProblem, type SearchReport } from './types.js';

export interface FileHit {
  line: string;
  /** The file (or `-`) and the byte offset of the line in its (uncompressed) content. */
  source: string;
  offset: number;
  /** Modification time of the file: the reference for RFC 3164 lines, which have no year. */
  fileTime: Date;
  /** When the source itself says the line was logged (an Elasticsearch document's @timestamp). */
  loggedAt?: Date;
}

/** Names taken from a folder: syslog files and their rotations (`x.log`, `x.log.1`, `x.log.2.gz`, `syslog.3`). */
const LOG_NAME = /(\.log|^syslog|^messages|^daemon|^user|\.txt)(\.\d+)?(\.gz)?$|\.gz$/;

interface Target {
  path: string;
  mtime: Date;
}

/** Expand folders; note files that cannot be read and folder entries that are not logs. */
export async function expandPaths(paths: string[], report: SearchReport): Promise<(Target | '-')[]> {
  const out: (Target | '-')[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push('-');
      continue;
    }
    try {
      const st = await stat(p);
      if (st.isDirectory()) await walk(p, out, report);
      else out.push({ path: p, mtime: st.mtime });
    } catch (err) {
      reportProblem(report, 'unreadable', `${p}: ${errorText(err)}`);
    }
  }
  return out;
}

async function walk(dir: string, out: (Target | '-')[], report: SearchReport): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    reportProblem(report, 'unreadable', `${dir}: ${errorText(err)}`);
    return;
  }
  for (const name of names) {
    const full = join(dir, name);
    try {
      const st = await stat(full);
      if (st.isDirectory()) await walk(full, out, report);
      else if (st.isFile() && LOG_NAME.test(name)) out.push({ path: full, mtime: st.mtime });
      else report.skippedFiles.push(full);
    } catch (err) {
      reportProblem(report, 'unreadable', `${full}: ${errorText(err)}`);
    }
  }
}

export interface ScanFilesOptions {
  /** Files last written before this cannot hold lines of the window: they are listed, not read. */
  since?: Date;
  stdin?: Readable;
}

/** Scan every file for the terms, calling onHit for each line that holds one. */
export async function scanFiles(
  paths: string[],
  terms: string[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
  options: ScanFilesOptions = {},
): Promise<void> {
  for (const target of await expandPaths(paths, report)) {
    if (target === '-') {
      await scanStream('-', options.stdin ?? process.stdin, new Date(), terms, report, onHit);
      continue;
    }
    if (options.since && target.mtime < options.since) {
      report.files.push({ path: target.path, bytes: 0, matchedLines: 0, gzip: false, note: 'not read: last written before --since' });
      continue;
    }
    await scanFile(target.path, target.mtime, terms, report, onHit);
  }
}

async function scanFile(
  path: string,
  mtime: Date,
  terms: string[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    reportProblem(report, 'unreadable', `${path}: ${errorText(err)}`);
    return;
  }
  const buf = Buffer.allocUnsafe(CHUNK);
  const entry = { path, bytes: 0, matchedLines: 0, gzip: false } as SearchReport['files'][number];
  report.files.push(entry);
  const scanner = makeScanner(path, mtime, terms, report, entry, onHit);
  try {
    const first = await fh.read(buf, 0, CHUNK, 0);
    if (first.bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      entry.gzip = true;
      await fh.close();
      fh = undefined;
      await scanGzip(createReadStream(path, { highWaterMark: CHUNK }), path, scanner, entry, report);
      return;
    }
    // Synchronous reads: a 1 MiB copy from the page cache costs less than a round trip
    // through the thread pool, which a busy machine can delay by milliseconds.
    let n = first.bytesRead;
    let position = n;
    let sinceYield = 0;
    while (n > 0) {
      entry.bytes += n;
      report.bytes += n;
      scanner.push(n === CHUNK ? buf : buf.subarray(0, n));
      n = n === CHUNK ? readSync(fh.fd, buf, 0, CHUNK, position) : 0;
      position += n;
      // Let timers and signals in now and then.
      if ((sinceYield += n) >= 64 * CHUNK) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
    scanner.end();
  } catch (err) {
    reportProblem(report, 'unreadable', `${path} after ${entry.bytes} bytes: ${errorText(err)}`);
    scanner.end();
  } finally {
    await fh?.close();
  }
}

/** Standard input (or any stream): gzip when it starts with the gzip magic bytes. */
export async function scanStream(
  name: string,
  input: Readable,
  fileTime: Date,
  terms: string[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
): Promise<void> {
  const entry = { path: name, bytes: 0, matchedLines: 0, gzip: false } as SearchReport['files'][number];
  report.files.push(entry);
  const scanner = makeScanner(name, fileTime, terms, report, entry, onHit);
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  if (first.done) return;
  const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value as string);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const r = await iterator.next();
      if (r.done) return;
      yield r.value;
    }
  }
  try {
    if (head[0] === 0x1f && head[1] === 0x8b) {
      entry.gzip = true;
      const { Readable } = await import('node:stream');
      await scanGzip(Readable.from(rest()), name, scanner, entry, report);
      return;
    }
    for await (const chunk of rest()) {
      entry.bytes += chunk.length;
      report.bytes += chunk.length;
      scanner.push(chunk);
    }
    scanner.end();
  } catch (err) {
    reportProblem(report, 'unreadable', `${name} after ${entry.bytes} bytes: ${errorText(err)}`);
    scanner.end();
  }
}

async function scanGzip(
  compressed: Readable,
  name: string,
  scanner: ChunkScanner,
  entry: SearchReport['files'][number],
  report: SearchReport,
): Promise<void> {
  // Decompression runs on libuv's thread pool, so it overlaps with scanning the previous chunk.
  const gunzip = createGunzip({ chunkSize: CHUNK });
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      entry.bytes += chunk.length;
      report.bytes += chunk.length;
      scanner.push(chunk);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'Z_BUF_ERROR' ? 'truncated gzip' : code === 'Z_DATA_ERROR' ? 'corrupt gzip data' : errorText(err);
    reportProblem(
      report,
      code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' ? 'truncatedGzip' : 'unreadable',
      `${name}: ${what} after ${entry.bytes} uncompressed bytes; the lines before it were searched`,
    );
    entry.note = what;
  } finally {
    compressed.destroy();
  }
  scanner.end();
}

interface ChunkScanner {
  push(chunk: Buffer): void;
  end(): void;
}

const SNIFF_LINES = 20;

/** Whether the first lines of a file look like syslog (or at least text), to report unknown formats. */
function sniff(name: string, chunk: Buffer, fileTime: Date, report: SearchReport, entry: SearchReport['files'][number]): void {
  const head = chunk.subarray(0, Math.min(chunk.length, 64 * 1024));
  if (head.indexOf(0) >= 0 && head.subarray(0, 512).indexOf(0) >= 0 && !head.subarray(0, 512).toString('latin1').includes('\n')) {
    entry.note = 'binary content';
    return; // counted line by line as binary
  }
  // Lines with NUL bytes are counted as binary by the scanner, not judged here.
  const lines = head.toString('utf8').split('\n', SNIFF_LINES + 1).slice(0, SNIFF_LINES).filter((l) => l.trim() !== '' && !l.includes('\u0000'));
  if (lines.length === 0) return;
  if (lines.some((l) => parseSyslog(l, fileTime) !== null)) return;
  entry.note = 'unknown format: no syslog line among the first lines; searched as plain text';
  reportProblem(report, 'unknownFormat', `${name}: none of the first ${lines.length} lines is RFC 3164 or RFC 5424 syslog; searched as plain text`);
}

function makeScanner(
  name: string,
  fileTime: Date,
  terms: string[],
  report: SearchReport,
  entry: SearchReport['files'][number],
  onHit: (hit: FileHit) => void,
): ChunkScanner {
  const scanner = termScanner(name, fileTime, terms, report, entry, onHit);
  let first = true;
  return {
    push(chunk) {
      if (first) {
        first = false;
        sniff(name, chunk, fileTime, report, entry);
      }
      scanner.push(chunk);
    },
    end: () => scanner.end(),
  };
}

function termScanner(
  name: string,
  fileTime: Date,
  terms: string[],
  report: SearchReport,
  entry: SearchReport['files'][number],
  onHit: (hit: FileHit) => void,
): TermScanner {
  return new TermScanner(terms, {
    hit(line, offset) {
      entry.matchedLines += 1;
      report.matchedLines += 1;
      onHit({ line, source: name, offset, fileTime });
    },
    longLine(offset, length) {
      reportProblem(report, 'longLine', `${name} @ byte ${offset}: a ${length}-byte line (over 1 MiB) was not searched`);
    },
    binaryLines(offset, count) {
      reportProblem(report, 'binary', `${name} @ byte ${offset}: ${count} line(s) with NUL bytes were not searched`, count);
    },
  });
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code} ${e.message.replace(/^\w+: /, '')}` : String(e?.message ?? err);
}
