/**
 * Large plain files are cut into ranges (range-read.ts), as many as the machine runs threads at
 * once (os.availableParallelism()): this thread scans the first while worker threads
 * (scan-worker.ts) scan the others. Each range's wal-e runs are folded on their own (wale-runs.ts),
 * all on this thread, where the parsers run warm: a worker only searches. What the workers find goes
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
import type { RecordSink } from './frame-walk.js';
import { WaleRuns, type FoldedSink } from './wale-runs.js';

/** What a worker is asked: scan the lines of the open file `fd` that start in [start, end). */
export interface ScanJob {
  fd: number;
  terms: readonly ScanTerm[];
  readSize: number;
  start: number;
  end: number;
  /** One Int32: the size of the batches posted and not yet taken. */
  held: SharedArrayBuffer;
}

/**
 * What a worker found since its last batch, as triples: (0, line, offset) for a line found,
 * (-1, offset, length) for an overlong line, (-2, offset, count) for binary lines.
 */
export interface ScanBatch {
  events: (string | number)[];
  /** What the batch counts for against the worker's bound. */
  size: number;
  /** Where the range's first line starts, and the offset read up to. */
  start: number;
  end: number;
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

/** Worker threads that scan the ranges of files, one file at a time; `close` ends them. */
export class ScanThreads {
  private readonly workers: Worker[] = [];

  /** `most`: workers a file is shared among at most; `minRange`: bytes a range holds at least. */
  constructor(
    private readonly most = availableParallelism(),
    private readonly minRange = MIN_RANGE,
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
        replay(b, runs);
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
          worker.postMessage({ fd, terms, readSize, ...range, held: helds[i]! } satisfies ScanJob);
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

/** Hands a batch's findings to the range's runs, in the order found. */
function replay(b: ScanBatch, sink: RecordSink): void {
  const e = b.events;
  for (let i = 0; i < e.length; i += 3) {
    const k = e[i] as number;
    if (k === 0) sink.hit(e[i + 1] as string, e[i + 2] as number);
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
