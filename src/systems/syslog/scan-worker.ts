/**
 * The thread that reads and scans a range of a large plain file for the main thread
 * (worker-scan.ts), so the main thread judges the lines found while the rest is read, and several
 * ranges of one file are read at once. A range holds the lines that start in it: it begins past
 * the first newline before its start and ends with the line its end cuts. wal-e's runs are folded
 * here (wale-runs.ts). What the scan finds is posted in the order found; the thread waits while
 * the text it posted and the main thread has not taken passes HELD_BYTES, so memory stays bounded
 * whatever the file holds.
 */
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { errorText } from '../file-problems.js';
import { TermScanner } from './term-scanner.js';
import { WaleRuns } from './wale-runs.js';
import type { ScanJob, ScanBatch } from './worker-scan.js';

/** Characters of found lines posted and not yet taken by the main thread, past which this thread waits. */
const HELD_BYTES = 16 * 1024 * 1024;
/** Characters of found lines (or entries) a batch holds before it goes: a message costs far more than a line. */
const BATCH_TEXT = 256 * 1024;
const FULL = 3 * 4096;
const NL = 10;

parentPort!.on('message', (job: ScanJob) => {
  const held = new Int32Array(job.held);
  let events: (string | number)[] = [];
  let text = 0;
  const runs = new WaleRuns(
    {
      hit: (line, offset, stands) => {
        events.push(stands ?? 0, line, offset);
        text += line.length;
      },
      longLine: (offset, length) => events.push(-1, offset, length),
      binaryLines: (offset, count) => events.push(-2, offset, count),
    },
    new Date(job.fileTime),
  );
  const post = (batch: ScanBatch): void => {
    const size = batch.events.length + text;
    Atomics.add(held, 0, size);
    parentPort!.postMessage({ ...batch, size });
    events = [];
    text = 0;
    for (let n = Atomics.load(held, 0); n > HELD_BYTES; n = Atomics.load(held, 0)) Atomics.wait(held, 0, n);
  };
  const buf = Buffer.allocUnsafe(job.readSize);
  let at = job.start;
  let start = at;
  let scanner: TermScanner | null = null;
  try {
    if (at > 0) start = at = lineStartAfter(job.fd, buf, at - 1);
    scanner = new TermScanner(job.terms, runs, { at, noFrames: at > 0 });
    for (let n = at < job.end ? read(job.fd, buf, at) : 0; n > 0; n = read(job.fd, buf, at)) {
      // Past the range's end, only up to the end of the line its end cuts.
      const from = job.end - 1 - at;
      const cut = from < n ? buf.subarray(Math.max(0, from), n).indexOf(NL) : -1;
      const stop = cut >= 0 ? Math.max(0, from) + cut + 1 : n;
      scanner.push(stop === buf.length ? buf : buf.subarray(0, stop));
      at += stop;
      if (cut >= 0 || n < buf.length) break;
      if (events.length >= FULL || text >= BATCH_TEXT) post({ events, start, end: at });
    }
    scanner.end();
    runs.flush();
    post({ events, start, end: at, done: true });
  } catch (err) {
    post({ events, start, end: at, error: errorText(err) });
    scanner?.end();
    runs.flush();
    post({ events, start, end: at, done: true });
  }
});

function read(fd: number, buf: Buffer, at: number): number {
  return readSync(fd, buf, 0, buf.length, at);
}

/** The offset just past the first newline at or after `from` (the file's end when there is none). */
function lineStartAfter(fd: number, buf: Buffer, from: number): number {
  for (let at = from; ;) {
    const n = read(fd, buf, at);
    if (n <= 0) return at;
    const nl = buf.subarray(0, n).indexOf(NL);
    if (nl >= 0) return at + nl + 1;
    at += n;
  }
}
