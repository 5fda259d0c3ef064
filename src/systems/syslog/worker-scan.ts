/**
 * Large plain files are read and scanned on worker threads (scan-worker.ts) while this thread
 * judges the lines they find: a file is cut into ranges, one a worker (as many workers as the
 * machine runs threads at once, os.availableParallelism()), each range holding the lines that
 * start in it. What the workers find comes back and goes to the same sink (hits, overlong and
 * binary lines) as a scan on this thread, in the order of the file: a range's findings wait here
 * until the ranges before it are done, and its worker waits when too much of them is held.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScanTerm } from '../../core/log-source.js';
import type { FoldedSink } from './wale-runs.js';

/** What a worker is asked: scan the lines of the open file `fd` that start in [start, end). */
export interface ScanJob {
  fd: number;
  terms: readonly ScanTerm[];
  readSize: number;
  start: number;
  end: number;
  /** The file's modification time (ms): the year of its RFC 3164 lines, to fold wal-e's runs. */
  fileTime: number;
  /** One Int32: the size of the batches posted and not yet taken. */
  held: SharedArrayBuffer;
}

/**
 * What a worker found since its last batch, as triples: (stands, line, offset) for a line found,
 * standing for `stands` lines (0: itself alone), (-1, offset, length) for an overlong line,
 * (-2, offset, count) for binary lines; `end`, the offset read up to.
 */
export interface ScanBatch {
  events: (string | number)[];
  /** Where the range's first line starts, and the offset read up to. */
  start: number;
  end: number;
  done?: boolean;
  /** Why reading stopped early: the batch after it holds what the end of the scan found. */
  error?: string;
  /** Set by the worker: what the batch counts for against its bound. */
  size?: number;
}

/** Where a worker's findings go: as on this thread, the bytes read, and where and why reading stopped early. */
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
    const queues: ScanBatch[][] = ranges.map(() => []);
    const helds = ranges.map(() => new SharedArrayBuffer(4));
    let current = 0;
    let read = 0;
    // Batches are handed on in the order of the file: those of a later range wait for the ranges before it.
    const drain = (): boolean => {
      while (current < count) {
        const b = queues[current]!.shift();
        if (!b) return false;
        replay(b, sink);
        const held = new Int32Array(helds[current]!);
        Atomics.sub(held, 0, b.size ?? 0);
        Atomics.notify(held, 0);
        const range = ranges[current]!;
        if (b.error !== undefined) sink.failed(b.end, current === count - 1 ? null : range.end, b.error);
        if (b.done) {
          read += b.end - b.start;
          sink.progress(read);
          current += 1;
        }
      }
      return true;
    };
    const runs = ranges.map(
      (range, i) =>
        new Promise<void>((resolve, reject) => {
          const worker = this.worker(i);
          const onMessage = (b: ScanBatch): void => {
            queues[i]!.push(b);
            try {
              drain();
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
          const job: ScanJob = { fd, terms, readSize, ...range, fileTime: file.mtime.getTime(), held: helds[i]! };
          worker.postMessage(job);
        }),
    );
    await Promise.all(runs);
  }

  private worker(i: number): Worker {
    return (this.workers[i] ??= start());
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** Hands a batch's findings to the sink, in the order found. */
function replay(b: ScanBatch, sink: ThreadSink): void {
  const e = b.events;
  for (let i = 0; i < e.length; i += 3) {
    const k = e[i] as number;
    if (k >= 0) sink.hit(e[i + 1] as string, e[i + 2] as number, k === 0 ? undefined : k);
    else if (k === -1) sink.longLine(e[i + 1] as number, e[i + 2] as number);
    else sink.binaryLines(e[i + 1] as number, e[i + 2] as number);
  }
}

/** A worker, from the built file, or from source through tsx when this module runs from source (tests). */
function start(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url));
  const source = JSON.stringify(new URL('./scan-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, { eval: true });
}
