/**
 * Server-side copies spread over worker threads. A swap sends one CopyObject per object, and the
 * SDK spends about a millisecond of CPU on each (serialising, signing, parsing): with thousands of
 * small objects one thread runs out of CPU long before S3 runs out of concurrency. Past `after`
 * copies, the pool starts `size` workers (s3-copy-worker.ts), each with its own client made from
 * the same settings; until they are ready, and whenever this thread has fewer copies in flight
 * than the least busy worker, a copy runs here. A worker that dies fails its copies in flight
 * (the swap resumes them) and takes no more. Workers never keep the process alive.
 */
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export interface CopyRequest {
  id: number;
  input: { Bucket: string; Key: string; CopySource: string };
}

export interface CopyReply {
  id: number;
  etag?: string;
  /** Milliseconds since the epoch. */
  lastModified?: number;
  error?: { name?: string; message: string; Code?: string; code?: string; $metadata?: unknown };
}

export interface CopyOutput {
  etag: string | undefined;
  lastModified: Date | undefined;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  inFlight: number;
}

/** The worker: JavaScript from dist/; from source (tests), the TypeScript file through tsx. */
function workerThread(config: S3ClientConfig): Worker {
  const ts = extname(fileURLToPath(import.meta.url)) === '.ts';
  if (!ts) return new Worker(new URL('./s3-copy-worker.js', import.meta.url), { workerData: config });
  // require.resolve finds tsx's CommonJS entry; a worker's import needs its ES module beside it.
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const file = new URL('./s3-copy-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(file)}); });`;
  return new Worker(code, { eval: true, workerData: config });
}

/** Rebuilds a worker's error with the fields the store's messages read. */
function revive(e: NonNullable<CopyReply['error']>): Error {
  const err = new Error(e.message) as Error & Record<string, unknown>;
  if (e.name) err.name = e.name;
  if (e.Code !== undefined) err.Code = e.Code;
  if (e.code !== undefined) err.code = e.code;
  if (e.$metadata !== undefined) err.$metadata = e.$metadata;
  return err;
}

export class CopyPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { slot: Slot; resolve: (o: CopyOutput) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private calls = 0;
  /** Copies in flight in this thread. */
  private here = 0;

  constructor(
    private readonly config: S3ClientConfig,
    private readonly size: number,
    private readonly after: number,
  ) {}

  /** Copies with `local` in this thread, or sends the copy to the least busy worker. */
  async copy(input: CopyRequest['input'], local: () => Promise<CopyOutput>): Promise<CopyOutput> {
    if (++this.calls === this.after) this.start();
    let best: Slot | undefined;
    for (const s of this.slots) if (s.ready && !s.dead && (!best || s.inFlight < best.inFlight)) best = s;
    if (!best || this.here < best.inFlight) {
      this.here++;
      try {
        return await local();
      } finally {
        this.here--;
      }
    }
    const slot = best;
    const id = this.nextId++;
    // A worker with copies in flight keeps the process alive; an idle one does not.
    if (slot.inFlight++ === 0) slot.worker.ref();
    return new Promise<CopyOutput>((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      slot.worker.postMessage({ id, input } satisfies CopyRequest);
    });
  }

  /** Workers ready for copies. */
  get readyWorkers(): number {
    return this.slots.filter((s) => s.ready && !s.dead).length;
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = workerThread(this.config);
      const slot: Slot = { worker, ready: false, dead: false, inFlight: 0 };
      worker.unref();
      worker.on('message', (m: CopyReply | 'ready') => {
        if (m === 'ready') {
          slot.ready = true;
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (--slot.inFlight === 0) slot.worker.unref();
        if (m.error) p.reject(revive(m.error));
        else p.resolve({ etag: m.etag, lastModified: m.lastModified === undefined ? undefined : new Date(m.lastModified) });
      });
      const die = (why: string): void => {
        if (slot.dead) return;
        slot.dead = true;
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue;
          this.pending.delete(id);
          p.reject(new Error(`the copy worker stopped (${why}) with this copy in flight; resume to copy it again`));
        }
      };
      worker.on('error', (err) => {
        die(err.message);
      });
      worker.on('exit', (code) => {
        die(`exit code ${code}`);
      });
      this.slots.push(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
