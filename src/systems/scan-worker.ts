/**
 * The worker thread of a threaded scan (scan-thread.ts): reads a plain file by its descriptor and
 * scans it, posting what it finds in batches, in order. At most MAX_BATCHES_IN_FLIGHT batches wait
 * for the parsing thread at once (a shared counter), so memory stays bounded whatever the file.
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { TermScanner } from './term-scanner.js';
import type { ScanBatch, ScanEvent, ScanJob } from './scan-thread.js';

/** Bytes per read: the copy from the page cache is still in L2 cache when the scan reads it. */
const READ_SIZE = 64 * 1024;
/** A batch goes when its lines reach this many characters, or this many bytes were read. */
const BATCH_CHARS = 256 * 1024;
const BATCH_BYTES = 8 * 1024 * 1024;
const MAX_BATCHES_IN_FLIGHT = 8;

const port = parentPort!;
const inFlight = new Int32Array(workerData as SharedArrayBuffer);

function scan(job: ScanJob): void {
  let events: ScanEvent[] = [];
  let chars = 0;
  let bytes = 0;
  const post = (done: boolean, error?: ScanBatch['error']): void => {
    for (let n = Atomics.load(inFlight, 0); n >= MAX_BATCHES_IN_FLIGHT; n = Atomics.load(inFlight, 0)) Atomics.wait(inFlight, 0, n);
    Atomics.add(inFlight, 0, 1);
    const batch: ScanBatch = { events, bytes, done, error };
    port.postMessage(batch);
    events = [];
    chars = 0;
    bytes = 0;
  };
  const scanner = new TermScanner(job.terms, {
    hit(line, offset) {
      events.push(['hit', line, offset]);
      chars += line.length;
    },
    longLine: (offset, length) => events.push(['longLine', offset, length]),
    binaryLines: (offset, count) => events.push(['binaryLines', offset, count]),
  });
  const buf = Buffer.allocUnsafe(READ_SIZE);
  let position = 0;
  try {
    // Like the reads of the parsing thread: a short read is the end of the file.
    for (let n = READ_SIZE; n === READ_SIZE;) {
      n = readSync(job.fd, buf, 0, READ_SIZE, position);
      position += n;
      bytes += n;
      if (n > 0) scanner.push(n === READ_SIZE ? buf : buf.subarray(0, n));
      if (chars >= BATCH_CHARS || bytes >= BATCH_BYTES) post(false);
    }
    scanner.end();
    post(true);
  } catch (err) {
    scanner.end();
    const e = err as NodeJS.ErrnoException;
    post(true, { code: e.code, message: e.message });
  }
}

port.on('message', scan);
