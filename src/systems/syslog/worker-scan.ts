/**
 * Large plain files are cut into ranges (range-read.ts), a few for each thread the machine runs at
 * once (os.availableParallelism()): this thread and worker threads (scan-worker.ts) take them in
 * turn, each the next range no thread has taken yet, so none waits for another: this thread reads
 * the first ranges while the workers start, and a thread that finishes early takes more. Each
 * range's wal-e runs are folded on their own (wale-runs.ts), on this thread, where the parsers run
 * warm: a worker only searches, unless this thread falls FOLD_FROM behind it (a range of little but
 * wal-e's lines), when it folds the rest of its range itself, so that the ranges are still read at
 * once. What the threads find goes to the same sink (hits, overlong and binary lines) as a scan on
 * this thread, in the order of the file (in-order.ts): a range's findings wait here until the
 * ranges before it are done, and a thread, this one too, takes no more while too much of them is held.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScanTerm } from '../../core/log-source.js';
import { errorText } from '../file-problems.js';
import { RangeReader, YIELD_EVERY } from './range-read.js';
import { TermScanner } from './term-scanner.js';
import { InOrder, type ScanBatch, type ThreadSink } from './in-order.js';
import type { WaleRuns } from './wale-runs.js';

/** A range of a file: the lines whose first byte is in [start, end). */
interface Range {
  start: number;
  end: number;
}

/** What a worker is asked: take ranges of the open file `fd` in turn, the next not yet taken, until none is left. */
export interface ScanJob {
  fd: number;
  terms: readonly ScanTerm[];
  readSize: number;
  ranges: Range[];
  /** One Int32: the next range to take, for every thread of the scan (Atomics.add). */
  taken: SharedArrayBuffer;
  /** The file's modification time (ms): the year of its RFC 3164 lines, to fold wal-e's runs. */
  fileTime: number;
  /** Characters posted and not taken past which the worker folds the rest of its range itself. */
  foldFrom: number;
  /** One Int32: the size of the worker's batches posted and not yet taken. */
  held: SharedArrayBuffer;
}

/** A range is no smaller than this: a range costs a message or two and a fold of its own. */
const MIN_RANGE = 16 * 1024 * 1024;
/** A range is no larger than this: what this thread finds in a range it reads out of turn is kept until its turn. */
const MAX_RANGE = 64 * 1024 * 1024;
/**
 * Ranges a file is cut into for each thread: enough that a thread which started late (a worker
 * takes some tens of milliseconds to start) or was slowed by the machine's other work leaves
 * little for the others to wait on at the file's end.
 */
const RANGES_PER_THREAD = 4;
/**
 * Characters a worker posted and this thread has not taken (it takes a range's only after the
 * ranges before), past which the worker folds the rest of its range: a range of a few thousand
 * wal-e lines among others stays well below, one of little else would wait for this thread.
 */
const FOLD_FROM = 4 * 1024 * 1024;
/** Characters this thread keeps of ranges it read out of turn, past which it takes no other range until some are handed on. */
const HELD_HERE = 16 * 1024 * 1024;

/** Worker threads that scan the ranges of files with this thread, one file at a time; `close` ends them. */
export class ScanThreads {
  private readonly workers: { worker: Worker; held: SharedArrayBuffer }[] = [];

  /**
   * `most`: threads a file is shared among at most, this one included; `minRange`: bytes a range
   * holds at least; `foldFrom`: characters a worker posts and this thread has not taken, past which
   * it folds its range's rest; `perThread`: ranges a file is cut into for each thread.
   */
  constructor(
    private readonly most = availableParallelism(),
    private readonly minRange = MIN_RANGE,
    private readonly foldFrom = FOLD_FROM,
    private readonly perThread = RANGES_PER_THREAD,
  ) {}

  /**
   * Scans the lines of the open file `fd` (`size` bytes) into `sink`, in order; `progress` is
   * told the bytes read, `failed` where and why reading stopped early. `whole`: one range (a
   * stream of octet-counted frames cannot be entered in its middle).
   */
  async scan(
    fd: number,
    file: { size: number; mtime: Date; whole: boolean },
    terms: readonly ScanTerm[],
    readSize: number,
    sink: ThreadSink,
  ): Promise<void> {
    const count = file.whole ? 1 : this.rangeCount(file.size);
    const step = Math.ceil(file.size / count);
    const ranges: Range[] = Array.from({ length: count }, (_, i) => ({
      start: i * step,
      end: i === count - 1 ? Number.MAX_SAFE_INTEGER : (i + 1) * step,
    }));
    const order = new InOrder(
      sink,
      ranges.map((r) => r.end),
      file.mtime,
    );
    const taken = new SharedArrayBuffer(4);
    const next = new Int32Array(taken);
    let failure: Error | undefined;
    const listening: (() => void)[] = [];
    for (let k = 0; k < Math.min(this.most, count) - 1; k++) {
      const { worker, held } = this.worker(k);
      const onMessage = (b: ScanBatch): void => {
        try {
          order.batch(b, held);
        } catch (err) {
          // What the sink threw stops the scan, as it would on this thread; the workers, maybe waiting, are ended.
          onError(err as Error);
        }
      };
      const onError = (err: Error): void => {
        failure ??= err;
        void this.close();
        order.stop();
      };
      worker.on('message', onMessage).on('error', onError);
      listening.push(() => worker.off('message', onMessage).off('error', onError));
      const job = { fd, terms, readSize, ranges, taken, fileTime: file.mtime.getTime(), foldFrom: this.foldFrom, held };
      worker.postMessage(job satisfies ScanJob);
    }
    try {
      for (;;) {
        // This thread keeps what it finds out of turn up to a bound, as a worker does.
        while (order.keptSize > HELD_HERE && !failure) await order.handedOn();
        const i = Atomics.add(next, 0, 1);
        if (i >= count || failure) break;
        if (i === order.current) {
          // Nothing before it is left to hand on: straight into the sink.
          const { start, end } = await scanHere(fd, ranges[i]!, order.runs(i), terms, readSize, (at, why) => {
            order.failed(i, at, why);
          });
          order.finished(start, end);
        } else {
          const kept = order.keep(i);
          kept.end(await scanHere(fd, ranges[i]!, kept.runs, terms, readSize, kept.failed));
        }
        order.drain();
        // Let the workers' batches in between ranges.
        await new Promise((r) => setImmediate(r));
      }
      await order.done;
      if (failure) throw failure;
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      for (const off of listening) off();
    }
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }

  /** Ranges a file of `size` bytes is cut into: none longer than MAX_RANGE, what this thread keeps of one it reads out of turn. */
  private rangeCount(size: number): number {
    return Math.max(1, Math.min(this.most * this.perThread, Math.floor(size / this.minRange)), Math.ceil(size / MAX_RANGE));
  }

  /** Worker `k`, started when first asked for. */
  private worker(k: number): { worker: Worker; held: SharedArrayBuffer } {
    return (this.workers[k] ??= { worker: startWorker(), held: new SharedArrayBuffer(4) });
  }
}

/** A range scanned on this thread into `runs` (then flushed): where its lines start and end; `failed` is told where and why reading stopped early. */
async function scanHere(
  fd: number,
  range: Range,
  runs: WaleRuns,
  terms: readonly ScanTerm[],
  readSize: number,
  failed: (at: number, why: string) => void,
): Promise<{ start: number; end: number }> {
  const reader = new RangeReader(fd, Buffer.allocUnsafe(readSize), range.start, range.end);
  // A file's first range is the one a stream of octet-counted frames is found in.
  const scanner = new TermScanner(terms, runs, { at: reader.start, noFrames: range.start > 0 });
  let sinceYield = 0;
  for (;;) {
    let block: Buffer | null;
    try {
      block = reader.next();
    } catch (err) {
      runs.flush();
      failed(reader.at, errorText(err));
      break;
    }
    if (!block) break;
    scanner.push(block);
    // Let timers, signals and the workers' batches in now and then.
    if ((sinceYield += block.length) >= YIELD_EVERY) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  scanner.end();
  runs.flush();
  return { start: reader.start, end: reader.at };
}

/** A worker, from the built file, or from source through tsx when this module runs from source (tests). */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url));
  const source = JSON.stringify(new URL('./scan-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, { eval: true });
}
