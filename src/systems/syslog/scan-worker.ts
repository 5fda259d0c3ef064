/**
 * A thread that reads and scans ranges of a large plain file (range-read.ts) for the main thread
 * (worker-scan.ts), which scans others meanwhile, so several ranges of one file are read at once:
 * each thread takes the next range none has taken, until none is left. What the scan finds is posted in the order found, as found: the main thread folds
 * wal-e's runs (wale-runs.ts), so this thread runs none of the parsers, which would run here cold
 * on the few thousand lines of its range. Only when the main thread falls behind (more than the
 * job's `foldFrom` characters posted and not taken: a range of little but wal-e's lines) does this
 * thread fold the rest of its range itself, and its batches say so. It waits while the text it
 * posted and the main thread has not taken passes HELD, so memory stays bounded whatever the file holds.
 */
import { parentPort } from 'node:worker_threads';
import { errorText } from '../file-problems.js';
import { RangeReader } from './range-read.js';
import { TermScanner } from './term-scanner.js';
import type { RecordSink } from './frame-walk.js';
import { WaleRuns } from './wale-runs.js';
import { eventSink, type ScanBatch } from './in-order.js';
import type { ScanJob } from './worker-scan.js';

/** Characters of found lines (and entries) posted and not yet taken by the main thread, past which this thread waits. */
const HELD = 16 * 1024 * 1024;
/** Characters of found lines (or entries) a batch holds before it goes: a message costs far more than a line. */
const BATCH = 256 * 1024;

parentPort!.on('message', (job: ScanJob) => {
  const taken = new Int32Array(job.taken);
  for (let i = Atomics.add(taken, 0, 1); i < job.ranges.length; i = Atomics.add(taken, 0, 1)) scanRange(job, i);
});

/** Scans range `i` of the job, posting what it finds in batches, the last one `done`. */
function scanRange(job: ScanJob, i: number): void {
  const held = new Int32Array(job.held);
  const { start, end } = job.ranges[i]!;
  let events: (string | number)[] = [];
  let size = 0;
  const out = eventSink((n, kind, a, b) => {
    events.push(kind, a, b);
    size += n;
  });
  /** This thread's folding of the rest of its range, once the main thread fell behind. */
  let runs: WaleRuns | null = null;
  const found: RecordSink & { end(): void } = {
    hit: (line, offset) => {
      (runs ?? out).hit(line, offset);
    },
    longLine: (offset, length) => {
      (runs ?? out).longLine(offset, length);
    },
    binaryLines: (offset, count) => {
      (runs ?? out).binaryLines(offset, count);
    },
    end: () => runs?.flush(),
  };
  let reader: RangeReader | null = null;
  const post = (batch: Pick<ScanBatch, 'done' | 'error'>): void => {
    Atomics.add(held, 0, size);
    parentPort!.postMessage({
      ...batch,
      range: i,
      events,
      size,
      start: reader?.start ?? start,
      end: reader?.at ?? start,
      folded: runs !== null,
    } satisfies ScanBatch);
    events = [];
    size = 0;
    if (!runs && Atomics.load(held, 0) > job.foldFrom) runs = new WaleRuns(out, new Date(job.fileTime));
    for (let n = Atomics.load(held, 0); n > HELD; n = Atomics.load(held, 0)) Atomics.wait(held, 0, n);
  };
  let scanner: TermScanner | null = null;
  try {
    reader = new RangeReader(job.fd, Buffer.allocUnsafe(job.readSize), start, end);
    scanner = new TermScanner(job.terms, found, { at: reader.start, noFrames: true });
    for (let block = reader.next(); block; block = reader.next()) {
      scanner.push(block);
      if (size >= BATCH) post({});
    }
    scanner.end();
    found.end();
    post({ done: true });
  } catch (err) {
    post({ error: errorText(err) });
    scanner?.end();
    found.end();
    post({ done: true });
  }
}
