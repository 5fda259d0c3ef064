/**
 * A plain file read and scanned in a worker thread while this thread parses what it found: the
 * two halves of a search run on two cores. The hits come back in order, as the scan in this
 * thread would give them; a read error comes back as the error of the read.
 */
import type { Worker } from 'node:worker_threads';
import type { ScanSink } from './term-scanner.js';
import { startWorker } from './worker-file.js';

export interface ScanJob {
  fd: number;
  terms: string[];
}

export type ScanEvent = ['hit', string, number] | ['longLine', number, number] | ['binaryLines', number, number];

export interface ScanBatch {
  events: ScanEvent[];
  /** Bytes read since the previous batch. */
  bytes: number;
  done: boolean;
  error?: { code?: string; message: string };
}

interface Job {
  sink: ScanSink;
  onBytes: (n: number) => void;
  resolve: (readError: Error | undefined) => void;
  reject: (err: Error) => void;
  /** What the sink threw: the rest of the file's batches are let go, and the scan fails with it at the end. */
  failed?: Error;
}

export class ScanThread {
  private readonly inFlight = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private current: Job | null = null;

  constructor() {
    this.worker = startWorker(import.meta.url, 'scan-worker', this.inFlight.buffer);
    this.worker.unref();
    this.worker.on('message', (batch: ScanBatch) => {
      this.receive(batch);
    });
    this.worker.on('error', (err) => {
      this.current?.reject(err);
      this.current = null;
      this.worker.unref();
    });
  }

  /**
   * Scans the open file `fd` from its start, calling the sink as the scan in this thread would and
   * `onBytes` with the bytes read. Resolves when the file is done: with the read error, if one
   * stopped it (the lines before it were scanned).
   */
  scan(fd: number, terms: string[], sink: ScanSink, onBytes: (n: number) => void): Promise<Error | undefined> {
    return new Promise((resolve, reject) => {
      this.current = { sink, onBytes, resolve, reject };
      this.worker.ref(); // a scan in flight keeps the process alive; an idle thread does not

      const job: ScanJob = { fd, terms };
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private receive(batch: ScanBatch): void {
    const job = this.current!;
    try {
      if (!job.failed) this.deliver(job, batch);
    } catch (err) {
      job.failed = err as Error;
    } finally {
      Atomics.sub(this.inFlight, 0, 1);
      Atomics.notify(this.inFlight, 0);
    }
    if (!batch.done) return;
    this.current = null;
    this.worker.unref();
    if (job.failed) job.reject(job.failed);
    else job.resolve(batch.error ? Object.assign(new Error(batch.error.message), { code: batch.error.code }) : undefined);
  }

  private deliver(job: Job, batch: ScanBatch): void {
    job.onBytes(batch.bytes);
    for (const e of batch.events) {
      if (e[0] === 'hit') job.sink.hit(e[1], e[2]);
      else if (e[0] === 'longLine') job.sink.longLine(e[1], e[2]);
      else job.sink.binaryLines(e[1], e[2]);
    }
  }
}
