/**
 * Log files as a source: files, folders (recursively), rotated names, gzip detected by its
 * magic bytes, and `-` for standard input. Every problem (unreadable file, truncated gzip,
 * binary garbage, overlong line, symlink loop, FIFO) is counted in the report; no file is
 * skipped silently. Each folder is walked and each file read once per (device, inode), and
 * nothing but a regular file is ever opened for reading: a FIFO would block until written.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { reportProblem, type FileHit, type ScanTerm, type SearchReport } from '../../core/log-source.js';
import { errorText, notAFileWhy, OPEN_FLAGS } from '../file-problems.js';
import { numberSkippedLines } from './log-line-numbers.js';
import { expandPaths } from './log-paths.js';
import { fileSink, makeScanner, sniff, type ChunkScanner } from './log-scan-sink.js';
import { CHUNK, startsWithFrames } from './term-scanner.js';
import { YIELD_EVERY } from './range-read.js';
import { ScanThreads } from './worker-scan.js';
import { invocation } from '../../core/invocation.js';
import { UsageError } from '../../core/errors.js';

export { numberSkippedLines } from './log-line-numbers.js';

/**
 * Bytes per read of a plain file: a quarter of the core's L2 cache or so, so the copy out of the
 * page cache is still there when the scan reads it, and few enough reads that their cost stays
 * small (measured on a 2 MiB L2: 256 KiB ran the search 10% faster than 64 KiB, 1 MiB no faster).
 */
const READ_SIZE = 256 * 1024;

export interface ScanFilesOptions {
  /** Files last written before this cannot hold lines of the window: they are listed, not read. */
  since?: Date;
  stdin?: Readable;
  /** Plain files of at least this many bytes are scanned on worker threads (worker-scan.ts); default WORKER_FROM. */
  workerFrom?: number;
  /**
   * Threads a file is shared among at most, this one included (default os.availableParallelism()),
   * taking `rangesPerThread` ranges each (default RANGES_PER_THREAD) of at least `minRange` bytes (default MIN_RANGE).
   */
  workers?: number;
  minRange?: number;
  rangesPerThread?: number;
}

/** A worker thread costs a few tens of milliseconds to start: about what one thread takes to scan this much. */
export const WORKER_FROM = 64 * 1024 * 1024;

/** The note of a file left unread because it was last written before --since. */
export const NOT_READ_BEFORE_SINCE = 'not read: last written before --since';

/** Scan every file for the terms, calling onHit for each line that holds one. */
export async function scanFiles(
  paths: string[],
  terms: readonly ScanTerm[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
  options: ScanFilesOptions = {},
): Promise<void> {
  const threads = new ScanThreads(options.workers, options.minRange, undefined, options.rangesPerThread);
  try {
    for (const target of await expandPaths(paths, report)) {
      if (target === '-') {
        await scanStream('-', pipedStdin(options.stdin ?? invocation().stdin), new Date(), terms, report, onHit);
        continue;
      }
      if (options.since && target.mtime < options.since) {
        report.files.push({ path: target.path, bytes: 0, matchedLines: 0, gzip: false, note: NOT_READ_BEFORE_SINCE });
        continue;
      }
      await scanFile(target, terms, report, onHit, { threads, from: options.workerFrom ?? WORKER_FROM });
    }
  } finally {
    await threads.close();
  }
  await numberSkippedLines(report);
}

/** Standard input for `--logs -`, refused when it is a terminal: the search would wait for lines nobody types. */
function pipedStdin(stream: Readable): Readable {
  if ('isTTY' in stream && stream.isTTY === true)
    throw new UsageError('--logs - reads log lines from standard input, which is a terminal here, so the search would wait for ever', {
      hint: 'pipe the logs in (for example `zcat /var/log/syslog.*.gz | dingo-recover logs find … --logs -`), or name the files or folders with --logs',
    });
  return stream;
}

/** Opens a regular file for reading without blocking; anything else is reported, and undefined returned. */
async function openRegular(path: string, report: SearchReport): Promise<FileHandle | undefined> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, OPEN_FLAGS);
    const st = await fh.stat();
    if (st.isFile()) return fh;
    await fh.close();
    reportProblem(report, 'notAFile', { path }, notAFileWhy(st, false));
  } catch (err) {
    await fh?.close().catch(() => undefined);
    reportProblem(report, 'unreadable', { path }, errorText(err));
  }
  return undefined;
}

async function scanFile(
  { path, mtime }: { path: string; mtime: Date },
  terms: readonly ScanTerm[],
  report: SearchReport,
  onHit: (hit: FileHit) => void,
  worker: { threads: ScanThreads; from: number },
): Promise<void> {
  let fh = await openRegular(path, report);
  if (!fh) return;
  const buf = Buffer.allocUnsafe(READ_SIZE);
  const entry = { path, bytes: 0, matchedLines: 0, gzip: false } as SearchReport['files'][number];
  report.files.push(entry);
  const scanner = makeScanner(path, mtime, terms, report, entry, onHit);
  try {
    const first = await fh.read(buf, 0, READ_SIZE, 0);
    if (first.bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      entry.gzip = true;
      const stream = fh.createReadStream({ highWaterMark: CHUNK, start: 0 });
      fh = undefined; // the stream closes it
      await scanGzip(stream, path, scanner, entry, report);
      return;
    }
    const size = (await fh.stat()).size;
    if (size >= worker.from) {
      const head = buf.subarray(0, first.bytesRead);
      sniff(path, head, mtime, report, entry);
      const file = { size, mtime, whole: startsWithFrames(head) };
      await worker.threads.scan(fh.fd, file, terms, READ_SIZE, {
        ...fileSink(path, mtime, report, entry, onHit),
        progress(bytes) {
          report.bytes += bytes - entry.bytes;
          entry.bytes = bytes;
        },
        failed(at, until, why) {
          const unread =
            until === null ? 'the lines after it were not searched' : `the lines from there to byte ${until} were not searched`;
          reportProblem(report, 'unreadable', { path }, `read failed at byte ${at}: ${why}; ${unread}, the others were`);
        },
      });
      return;
    }
    await readPlain(fh, buf, first.bytesRead, scanner, entry, report);
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

/**
 * The rest of a plain file after its first `n` bytes (already in `buf`), into the scanner.
 * Synchronous reads: a copy from the page cache costs less than a round trip through the
 * thread pool (reading the next block there while this one was scanned ran the search slower).
 */
async function readPlain(
  fh: FileHandle,
  buf: Buffer,
  n: number,
  scanner: ChunkScanner,
  entry: SearchReport['files'][number],
  report: SearchReport,
): Promise<void> {
  let position = n;
  let sinceYield = 0;
  while (n > 0) {
    entry.bytes += n;
    report.bytes += n;
    scanner.push(n === buf.length ? buf : buf.subarray(0, n));
    n = n === buf.length ? readSync(fh.fd, buf, 0, buf.length, position) : 0;
    position += n;
    // Let timers and signals in now and then.
    if ((sinceYield += n) >= YIELD_EVERY) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Standard input (or any stream): gzip when it starts with the gzip magic bytes. */
async function scanStream(
  name: string,
  input: Readable,
  fileTime: Date,
  terms: readonly ScanTerm[],
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
