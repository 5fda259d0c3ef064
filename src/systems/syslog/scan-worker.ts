/**
 * The thread that reads and scans a large plain file for the main thread (worker-scan.ts), so
 * the main thread judges the lines found while the rest of the file is read. What the scan finds
 * is posted in the order found, a batch per block read; the thread waits while the main thread
 * is more than a few batches behind, so memory stays bounded whatever the file holds.
 */
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { errorText } from '../file-problems.js';
import { TermScanner } from './term-scanner.js';
import type { ScanJob, ScanBatch } from './worker-scan.js';

/** Batches posted and not yet taken by the main thread, past which this thread waits. */
const AHEAD = 8;
/**
 * Bytes read between two batches: a message costs far more than the few lines it carries, so
 * findings are held until this much is read (or FULL findings are held); memory stays bounded by
 * AHEAD batches of at most this much text.
 */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Findings held (three entries each) past which a batch goes at once. */
const FULL = 3 * 4096;

parentPort!.on('message', (job: ScanJob) => {
  const behind = new Int32Array(job.behind);
  let events: (string | number)[] = [];
  const scanner = new TermScanner(job.terms, {
    hit: (line, offset) => events.push(0, line, offset),
    longLine: (offset, length) => events.push(1, offset, length),
    binaryLines: (offset, count) => events.push(2, offset, count),
  });
  const post = (batch: ScanBatch): void => {
    Atomics.add(behind, 0, 1);
    parentPort!.postMessage(batch);
    for (let n = Atomics.load(behind, 0); n > AHEAD; n = Atomics.load(behind, 0)) Atomics.wait(behind, 0, n);
  };
  const buf = Buffer.allocUnsafe(job.readSize);
  let bytes = 0;
  let posted = 0;
  try {
    for (let n = readSync(job.fd, buf, 0, buf.length, 0); n > 0; n = n === buf.length ? readSync(job.fd, buf, 0, buf.length, bytes) : 0) {
      bytes += n;
      scanner.push(n === buf.length ? buf : buf.subarray(0, n));
      if (events.length >= FULL || (events.length > 0 && bytes - posted >= BATCH_BYTES)) {
        post({ events, bytes });
        events = [];
        posted = bytes;
      }
    }
    scanner.end();
    post({ events, bytes, done: true });
  } catch (err) {
    post({ events, bytes, error: errorText(err) });
    events = [];
    scanner.end();
    post({ events, bytes, done: true });
  }
});
