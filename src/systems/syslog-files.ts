/**
 * Log files as a source: files, folders (recursively), rotated names, gzip detected by its
 * magic bytes, and `-` for standard input. Every problem (unreadable file, truncated gzip,
 * binary garbage, overlong line, symlink loop, FIFO) is counted in the report; no file is
 * skipped silently. Each folder is walked and each file read once per (device, inode), and
 * nothing but a regular file is ever opened for reading: a FIFO would block until written.
 */
import { constants, readSync, type Stats } from 'node:fs';
import { lstat, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isValidDate } from '../adapters/log-dates.js';
import { CHUNK, TermScanner } from './term-scanner.js';
import { messageOf } from '../core/errors.js';
import { parseSyslog } from '../adapters/syslog.js';
import { refreshProblems, reportProblem, skippedEntry, type FileHit, type SearchReport, type SkippedInput } from '../core/log-source.js';

/** Names taken from a folder: syslog files and their rotations (`x.log`, `x.log.1`, `x.log.2.gz`, `syslog.3`). */
const LOG_NAME = /(\.log|^syslog|^messages|^daemon|^user|\.txt)(\.\d+)?(\.gz)?$|\.gz$/;

/** Opening never blocks: a FIFO put in place of a file after it was looked at opens at once (and is then refused). */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

interface Target {
  path: string;
  mtime: Date;
}

/** Folders and files met so far, by device and inode, with the first path each was met by. */
type Seen = Map<string, string>;

/** Expand folders; note files that cannot be read, folders met twice, and entries that are not logs. */
export async function expandPaths(paths: string[], report: SearchReport): Promise<(Target | '-')[]> {
  const out: (Target | '-')[] = [];
  const seen: Seen = new Map();
  for (const p of paths) {
    if (p === '-') out.push('-');
    else await visit(p, true, out, report, seen);
  }
  return out;
}

async function visit(path: string, given: boolean, out: (Target | '-')[], report: SearchReport, seen: Seen): Promise<void> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    reportProblem(report, 'unreadable', { path }, await whyUnreachable(path, err, given));
    return;
  }
  const id = `${st.dev}:${st.ino}`;
  if (st.isDirectory()) {
    const first = seen.get(id);
    if (first !== undefined) {
      reportProblem(report, 'loop', { path }, `the folder ${first} again (a symlink loop or a second link to it): searched once`);
      return;
    }
    seen.set(id, path);
    await walk(path, out, report, seen);
  } else if (st.isFile()) {
    if (!given && !LOG_NAME.test(basename(path))) {
      report.skippedFiles.push(path);
      return;
    }
    const first = seen.get(id);
    if (first !== undefined) {
      reportProblem(report, 'sameFile', { path }, `the same file as ${first} (a symlink or a hard link to it): read once`);
      return;
    }
    seen.set(id, path);
    let mtime = st.mtime;
    if (!isValidDate(mtime)) {
      mtime = new Date();
      reportProblem(
        report,
        'badDate',
        { path },
        'its modification time is out of range: the year of its RFC 3164 lines is inferred from the current time instead',
      );
    }
    out.push({ path, mtime });
  } else {
    reportProblem(report, 'notAFile', { path }, notAFileWhy(st, given));
  }
}

async function walk(dir: string, out: (Target | '-')[], report: SearchReport, seen: Seen): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    reportProblem(report, 'unreadable', { path: dir }, errorText(err));
    return;
  }
  for (const name of names) await visit(join(dir, name), false, out, report, seen);
}

function notAFileWhy(st: Stats, given: boolean): string {
  const what = st.isFIFO()
    ? 'a FIFO (named pipe): not opened, reading it would wait for a writer'
    : st.isSocket()
      ? 'a socket: not read'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device: not read'
        : 'not a regular file: not read';
  return given ? `${what}; give regular files or folders, or - to read standard input` : what;
}

/** Why a path cannot be looked at: a missing file, a symlink to nothing, a symlink loop, a permission. */
async function whyUnreachable(path: string, err: unknown, given: boolean): Promise<string> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return `${errorText(err)} (a symlink loop: the link leads back to itself)`;
  if (code === 'ENOENT') {
    const link = await lstat(path).then(
      (l) => l.isSymbolicLink(),
      () => false,
    );
    if (link) return `${errorText(err)} (a symlink whose target does not exist)`;
    if (given) return `${errorText(err)} (check the path given to search)`;
  }
  return errorText(err);
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
  await numberSkippedLines(report);
}

async function scanFile(path: string, mtime: Date, terms: string[], report: SearchReport, onHit: (hit: FileHit) => void): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, OPEN_FLAGS);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      reportProblem(report, 'notAFile', { path }, notAFileWhy(st, false));
      return;
    }
  } catch (err) {
    await fh?.close().catch(() => undefined);
    reportProblem(report, 'unreadable', { path }, errorText(err));
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
      const stream = fh.createReadStream({ highWaterMark: CHUNK, start: 0 });
      fh = undefined; // the stream closes it
      await scanGzip(stream, path, scanner, entry, report);
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
    reportProblem(
      report,
      'unreadable',
      { path },
      `read failed after ${entry.bytes} bytes: ${errorText(err)}; the lines before it were searched`,
    );
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
  const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
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
    reportProblem(
      report,
      'unreadable',
      { path: name },
      `read failed after ${entry.bytes} bytes: ${errorText(err)}; the lines before it were searched`,
    );
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
      { path: name },
      `${what} after ${entry.bytes} uncompressed bytes; the lines before it were searched`,
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
  const lines = head
    .toString('utf8')
    .split('\n', SNIFF_LINES + 1)
    .slice(0, SNIFF_LINES)
    .filter((l) => l.trim() !== '' && !l.includes('\u0000'));
  if (lines.length === 0) return;
  if (lines.some((l) => parseSyslog(l, fileTime) !== null)) return;
  entry.note = 'unknown format: no syslog line among the first lines; searched as plain text';
  reportProblem(
    report,
    'unknownFormat',
    { path: name },
    `none of the first ${lines.length} lines is RFC 3164 or RFC 5424 syslog; searched as plain text`,
  );
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
    end: () => {
      scanner.end();
    },
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
      reportProblem(report, 'longLine', { path: name, offset }, `a ${length}-byte line (over 1 MiB) was not searched`);
    },
    binaryLines(offset, count) {
      reportProblem(report, 'binary', { path: name, offset }, `${count} line(s) with NUL bytes were not searched`, count);
    },
  });
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text = e.code ? `${e.code} ${e.message.replace(/^\w+: /, '')}` : messageOf(err);
  return e.code === 'EACCES' || e.code === 'EPERM' ? `${text} (the user running dingo-recover may not read it)` : text;
}

/** Bytes read again, over all files of a search, to number skipped lines; past it they keep their byte offsets. */
const LINE_COUNT_BUDGET = 256 * 1024 * 1024;
/** Skipped entries whose line numbers were looked for already (found or not). */
const numbered = new WeakSet<SkippedInput>();

/**
 * Line numbers for the skipped lines of files: the scan counts bytes, not lines (counting every
 * newline would halve its speed), so the files that had a skipped line are read again up to it.
 */
export async function numberSkippedLines(report: SearchReport): Promise<void> {
  const byPath = new Map<string, number[]>();
  report.skipped.forEach((s, i) => {
    if (s.offset === undefined || s.line !== undefined || numbered.has(s) || s.path === '-' || s.path.startsWith('es:')) return;
    numbered.add(s);
    byPath.set(s.path, [...(byPath.get(s.path) ?? []), i]);
  });
  if (byPath.size === 0) return;
  let budget = LINE_COUNT_BUDGET;
  for (const [path, indexes] of byPath) {
    const need = Math.max(...indexes.map((i) => report.skipped[i]!.offset!));
    if (need > budget) continue;
    budget -= need;
    const gzip = report.files.find((f) => f.path === path)?.gzip ?? false;
    const lines = await lineNumbersAt(
      path,
      gzip,
      indexes.map((i) => report.skipped[i]!.offset!),
    ).catch(() => new Map<number, number>());
    for (const i of indexes) {
      const s = report.skipped[i]!;
      const line = lines.get(s.offset!);
      if (line !== undefined) report.skipped[i] = skippedEntry(s.path, line, s.offset, s.kind, s.why);
    }
  }
  refreshProblems(report);
}

/** The 1-based line number at each byte offset of a file's (uncompressed) content. */
async function lineNumbersAt(path: string, gzip: boolean, offsets: number[]): Promise<Map<number, number>> {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const found = new Map<number, number>();
  const fh = await open(path, OPEN_FLAGS);
  let raw: Readable | undefined;
  let stream: Readable | undefined;
  try {
    if (!(await fh.stat()).isFile()) return found;
    raw = fh.createReadStream({ highWaterMark: CHUNK, start: 0, autoClose: false });
    stream = gzip ? raw.pipe(createGunzip({ chunkSize: CHUNK })) : raw;
    if (gzip) raw.on('error', (err) => stream!.destroy(err));
    let base = 0;
    let newlines = 0;
    let next = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const end = base + chunk.length;
      let p = 0;
      while (next < wanted.length && wanted[next]! < end) {
        const upto = wanted[next]! - base;
        for (let nl = chunk.indexOf(10, p); nl >= 0 && nl < upto; nl = chunk.indexOf(10, nl + 1)) {
          newlines += 1;
          p = nl + 1;
        }
        p = Math.max(p, upto);
        found.set(wanted[next]!, newlines + 1);
        next += 1;
      }
      if (next >= wanted.length) break;
      for (let nl = chunk.indexOf(10, p); nl >= 0; nl = chunk.indexOf(10, nl + 1)) newlines += 1;
      base = end;
    }
  } catch {
    // A file that cannot be read again keeps the byte offsets of its skipped lines.
  } finally {
    stream?.destroy();
    raw?.destroy();
    await fh.close().catch(() => undefined);
  }
  return found;
}
