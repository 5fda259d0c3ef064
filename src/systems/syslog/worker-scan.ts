/**
 * Large plain files are read and scanned on a worker thread (scan-worker.ts) while this thread
 * judges the lines it finds: the scan and the judging of its hits each take a core, where one
 * thread did both in turn. What the worker finds comes back in the order found, and goes to the
 * same sink (hits, overlong and binary lines) as a scan on this thread, so the results are the same.
 */
import { Worker } from 'node:worker_threads';
import type { ScanTerm } from '../../core/log-source.js';
import type { RecordSink } from './frame-walk.js';

/** What the worker is asked: scan the open file `fd` from its start. */
export interface ScanJob {
  fd: number;
  terms: readonly ScanTerm[];
  readSize: number;
  /** One Int32: batches posted and not yet taken. */
  behind: SharedArrayBuffer;
}

/** What the worker found since its last batch: triples (0 hit line offset, 1 long offset length, 2 binary offset count), and the bytes read so far. */
export interface ScanBatch {
  events: (string | number)[];
  bytes: number;
  done?: boolean;
  /** Why reading stopped early: the batch after it holds what the end of the scan found. */
  error?: string;
}

/** Where a worker's findings go: as on this thread, and the bytes read, and why reading stopped early. */
interface ThreadSink extends RecordSink {
  progress(bytes: number): void;
  failed(why: string): void;
}

/** A worker thread that scans files one at a time; `close` ends it. */
export class ScanThread {
  private worker: Worker | null = null;

  /**
   * Scans the open file `fd` into `sink`, in order; `progress` is told the bytes read, and
   * `failed` why reading stopped, if it stopped early (before the last, partial, line is searched).
   */
  scan(fd: number, terms: readonly ScanTerm[], readSize: number, sink: ThreadSink): Promise<void> {
    const worker = (this.worker ??= start());
    const behind = new SharedArrayBuffer(4);
    const taken = new Int32Array(behind);
    return new Promise((resolve, reject) => {
      const onMessage = (b: ScanBatch): void => {
        try {
          replay(b, sink);
        } catch (err) {
          // What the sink threw stops the scan, as it would on this thread; the worker, maybe waiting, is ended.
          onError(err as Error);
          return;
        }
        Atomics.sub(taken, 0, 1);
        Atomics.notify(taken, 0);
        if (!b.done) return;
        worker.off('message', onMessage).off('error', onError);
        resolve();
      };
      const onError = (err: Error): void => {
        worker.off('message', onMessage).off('error', onError);
        this.worker = null;
        void worker.terminate();
        reject(err);
      };
      worker.on('message', onMessage).on('error', onError);
      worker.postMessage({ fd, terms, readSize, behind } satisfies ScanJob);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** Hands a batch's findings to the sink, in the order found. */
function replay(b: ScanBatch, sink: ThreadSink): void {
  const e = b.events;
  for (let i = 0; i < e.length; i += 3) {
    if (e[i] === 0) sink.hit(e[i + 1] as string, e[i + 2] as number);
    else if (e[i] === 1) sink.longLine(e[i + 1] as number, e[i + 2] as number);
    else sink.binaryLines(e[i + 1] as number, e[i + 2] as number);
  }
  sink.progress(b.bytes);
  if (b.error !== undefined) sink.failed(b.error);
}

/** The worker, from the built file, or from source through tsx when this module runs from source (tests). */
function start(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url));
  const source = JSON.stringify(new URL('./scan-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, { eval: true });
}
