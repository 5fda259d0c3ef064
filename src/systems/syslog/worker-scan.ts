/**
 * Large plain files are cut into ranges (range-read.ts), as many as the machine runs threads at
 * once (os.availableParallelism()): this thread scans the first while worker threads
 * (scan-worker.ts) scan the others. Each range's wal-e runs are folded on their own (wale-runs.ts),
 * on this thread, where the parsers run warm: a worker only searches, unless this thread falls
 * FOLD_FROM behind it (a range of little but wal-e's lines), when it folds the rest of its range
 * itself, so that the ranges are still read at once. What the workers find goes
 * to the same sink (hits, overlong and binary lines) as a scan on this thread, in the order of the
 * file: a range's findings wait here until the ranges before it are done, and its worker waits when
 * too much of them is held.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScanTerm } from '../../core/log-source.js';
import { errorText } from '../file-problems.js';
import { RangeReader, YIELD_EVERY } from './range-read.js';
import { TermScanner } from './term-scanner.js';
import { WaleRuns, type FoldedSink } from './wale-runs.js';

/** What a worker is asked: scan the lines of the open file `fd` that start in [start, end). */
export interface ScanJob {
  fd: number;
  terms: readonly ScanTerm[];
  readSize: number;
  start: number;
  end: number;
  /** The file's modification time (ms): the year of its RFC 3164 lines, to fold wal-e's runs. */
  fileTime: number;
  /** Characters posted and not taken past which the worker folds the rest of its range itself. */
  foldFrom: number;
  /** One Int32: the size of the batches posted and not yet taken. */
  held: SharedArrayBuffer;
}

/**
 * What a worker found since its last batch, as triples: (stands, line, offset) for a line found
 * (in a batch `folded`, standing for `stands` lines, 0: itself alone; otherwise 0, to be folded),
 * (-1, offset, length) for an overlong line, (-2, offset, count) for binary lines.
 */
export interface ScanBatch {
  events: (string | number)[];
  /** What the batch counts for against the worker's bound. */
  size: number;
  /** Where the range's first line starts, and the offset read up to. */
  start: number;
  end: number;
  /** The worker folded these lines itself (and will the rest of its range). */
  folded: boolean;
  done?: boolean;
  /** Why reading stopped early: the batch after it holds what the end of the scan found. */
  error?: string;
}

/** Where a file's findings go: its hits, overlong and binary lines, the bytes read, and where and why reading stopped early. */
export interface ThreadSink extends FoldedSink {
  progress(bytes: number): void;
  /** Reading stopped at byte `at`; the lines from there to `until` (the file's end when null) were not searched. */
  failed(at: number, until: number | null, why: string): void;
}

/** A range is no smaller than this: a worker costs a few milliseconds to set to work. */
const MIN_RANGE = 32 * 1024 * 1024;
/**
 * Characters a worker posted and this thread has not taken (it takes a range's only after the
 * ranges before), past which the worker folds the rest of its range: a range of a few thousand
 * wal-e lines among others stays well below, one of little else would wait for this thread.
 */
const FOLD_FROM = 4 * 1024 * 1024;

/** Worker threads that scan the ranges of files, one file at a time; `close` ends them. */
export class ScanThreads {
  private readonly workers: Worker[] = [];

  /**
   * `most`: workers a file is shared among at most; `minRange`: bytes a range holds at least;
   * `foldFrom`: characters a worker posts and this thread has not taken, past which it folds its range's rest.
   */
  constructor(
    private readonly most = availableParallelism(),
    private readonly minRange = MIN_RANGE,
    private readonly foldFrom = FOLD_FROM,
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
    const count = file.whole ? 1 : Math.max(1, Math.min(this.most, Math.floor(file.size / this.minRange)));
    const step = Math.ceil(file.size / count);
    const ranges = Array.from({ length: count }, (_, i) => ({
      start: i * step,
      end: i === count - 1 ? Number.MAX_SAFE_INTEGER : (i + 1) * step,
    }));
    const until = (i: number): number | null => (i === count - 1 ? null : ranges[i]!.end);
    const queues: ScanBatch[][] = ranges.map(() => []);
    // The wal-e runs of each range, folded on this thread: the workers' as their batches are handed on.
    const folds = ranges.map(() => new WaleRuns(sink, file.mtime));
    const helds = ranges.map(() => new SharedArrayBuffer(4));
    let current = 0;
    let read = 0;
    const finished = (start: number, end: number): void => {
      read += end - start;
      sink.progress(read);
      current += 1;
    };
    // The workers' batches are handed on in the order of the file: those of a range wait for the ranges before it.
    const drain = (): void => {
      for (let b = queues[current]?.shift(); b; b = queues[current]?.shift()) {
        const runs = folds[current]!;
        // Lines the worker folded itself come after what this thread folded of its range.
        if (b.folded) runs.flush();
        replay(b, b.folded ? sink : runs);
        const held = new Int32Array(helds[current]!);
        Atomics.sub(held, 0, b.size);
        Atomics.notify(held, 0);
        if (b.error !== undefined) sink.failed(b.end, until(current), b.error);
        if (!b.done) continue;
        runs.flush();
        finished(b.start, b.end);
      }
    };
    const workers = ranges.slice(1).map(
      (range, k) =>
        new Promise<void>((resolve, reject) => {
          const i = k + 1;
          const worker = (this.workers[k] ??= startWorker());
          const onMessage = (b: ScanBatch): void => {
            queues[i]!.push(b);
            try {
              if (current > 0) drain();
            } catch (err) {
              // What the sink threw stops the scan, as it would on this thread; the workers, maybe waiting, are ended.
              onError(err as Error);
              return;
            }
            if (!b.done) return;
            worker.off('message', onMessage).off('error', onError);
            resolve();
          };
          const onError = (err: Error): void => {
            worker.off('message', onMessage).off('error', onError);
            void this.close();
            reject(err);
          };
          worker.on('message', onMessage).on('error', onError);
          const job = { fd, terms, readSize, ...range, fileTime: file.mtime.getTime(), foldFrom: this.foldFrom, held: helds[i]! };
          worker.postMessage(job satisfies ScanJob);
        }),
    );
    // A worker's failure is met once this thread's range is scanned.
    const together = Promise.all(workers);
    together.catch(() => undefined);
    try {
      const { start, end } = await scanHere(fd, ranges[0]!.end, folds[0]!, terms, readSize, sink, until(0));
      finished(start, end);
      drain();
      await together;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** The file's first range, scanned on this thread into `runs` (then `sink`): where its lines start and end. */
async function scanHere(
  fd: number,
  end: number,
  runs: WaleRuns,
  terms: readonly ScanTerm[],
  readSize: number,
  sink: ThreadSink,
  until: number | null,
): Promise<{ start: number; end: number }> {
  const scanner = new TermScanner(terms, runs);
  const reader = new RangeReader(fd, Buffer.allocUnsafe(readSize), 0, end);
  let sinceYield = 0;
  for (;;) {
    let block: Buffer | null;
    try {
      block = reader.next();
    } catch (err) {
      runs.flush();
      sink.failed(reader.at, until, errorText(err));
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
  return { start: 0, end: reader.at };
}

/** Hands a batch's findings to the range's runs, or when the worker folded them to the sink, in the order found. */
function replay(b: ScanBatch, sink: FoldedSink): void {
  const e = b.events;
  for (let i = 0; i < e.length; i += 3) {
    const k = e[i] as number;
    if (k >= 0) sink.hit(e[i + 1] as string, e[i + 2] as number, k === 0 ? undefined : k);
    else if (k === -1) sink.longLine(e[i + 1] as number, e[i + 2] as number);
    else sink.binaryLines(e[i + 1] as number, e[i + 2] as number);
  }
}

/** A worker, from the built file, or from source through tsx when this module runs from source (tests). */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url));
  const source = JSON.stringify(new URL('./scan-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, { eval: true });
}
