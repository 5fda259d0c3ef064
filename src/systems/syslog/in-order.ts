/**
 * The findings of a file's ranges handed on in the order of the file, whichever thread read each
 * range and whenever it finished (worker-scan.ts): a worker's batches as they come for the range
 * whose turn it is, its unfolded lines through that range's own wal-e runs (wale-runs.ts), and
 * what this thread found in a range it read out of turn, kept until the ranges before it are done.
 */
import { WaleRuns, type FoldedSink } from './wale-runs.js';

/**
 * What a worker found in one range since its last batch, as triples: (stands, line, offset) for a line found
 * (in a batch `folded`, standing for `stands` lines, 0: itself alone; otherwise 0, to be folded),
 * (-1, offset, length) for an overlong line, (-2, offset, count) for binary lines.
 */
export interface ScanBatch {
  /** The range, as an index into the job's ranges. */
  range: number;
  events: (string | number)[];
  /** What the batch counts for against the worker's bound. */
  size: number;
  /** Where the range's first line starts, and the offset read up to. */
  start: number;
  end: number;
  /** The worker folded these lines itself (and will the rest of its range). */
  folded: boolean;
  /** The range's last batch. */
  done?: boolean;
  /** Why reading stopped early: the batch after it holds what the end of the scan found. */
  error?: string;
}

/** A sink that writes what it is handed as a batch's triples (see ScanBatch), each told to `add` with what it counts for. */
export function eventSink(add: (size: number, kind: number, a: string | number, b: number) => void): FoldedSink {
  return {
    hit: (line, offset, stands) => {
      add(3 + line.length, stands ?? 0, line, offset);
    },
    longLine: (offset, length) => {
      add(3, -1, offset, length);
    },
    binaryLines: (offset, count) => {
      add(3, -2, offset, count);
    },
  };
}

/** Where a file's findings go: its hits, overlong and binary lines, the bytes read, and where and why reading stopped early. */
export interface ThreadSink extends FoldedSink {
  progress(bytes: number): void;
  /** Reading stopped at byte `at`; the lines from there to `until` (the file's end when null) were not searched. */
  failed(at: number, until: number | null, why: string): void;
}

/** What this thread found in a range, kept as a batch holds it, and (-3, offset, why) where reading stopped early. */
interface Kept {
  events: (string | number)[];
  /** What the events count for against this thread's bound: characters, and 3 an entry. */
  size: number;
  start: number;
  end: number;
}

export class InOrder {
  /** The range whose findings are handed on now; all before it are done. */
  current = 0;
  /** Characters this thread keeps for ranges it read out of turn. */
  keptSize = 0;
  readonly done: Promise<void>;
  private read = 0;
  private readonly queues: ScanBatch[][];
  private readonly kept: (Kept | undefined)[] = [];
  /** The bound of the worker that reads each range: what it posted and this thread has not taken. */
  private readonly held: SharedArrayBuffer[] = [];
  /** The wal-e runs of each range a worker read, folded here as its batches are handed on. */
  private readonly folds: WaleRuns[];
  private allDone: () => void = () => undefined;
  private waiting: (() => void) | null = null;

  constructor(
    private readonly sink: ThreadSink,
    /** Where each range ends: its lines start before that offset (the last range's end is the file's). */
    private readonly ends: number[],
    private readonly fileTime: Date,
  ) {
    this.queues = ends.map(() => []);
    this.folds = ends.map(() => new WaleRuns(sink, fileTime));
    this.done = new Promise((resolve) => (this.allDone = resolve));
  }

  /** Where range `i`'s findings go when this thread reads it in turn: its own runs, into the sink. */
  runs(i: number): WaleRuns {
    return this.folds[i]!;
  }

  /** A worker's batch, its bound `held`: handed on now or when its range's turn comes. */
  batch(b: ScanBatch, held: SharedArrayBuffer): void {
    this.held[b.range] = held;
    this.queues[b.range]!.push(b);
    this.drain();
  }

  /** Where this thread keeps what it finds in range `i`, read out of turn, folded through runs of its own. */
  keep(i: number): { runs: WaleRuns; failed: (at: number, why: string) => void; end: (range: { start: number; end: number }) => void } {
    const events: (string | number)[] = [];
    let size = 0;
    const add = (n: number, kind: number, a: string | number, b: string | number): void => {
      events.push(kind, a, b);
      size += n;
      this.keptSize += n;
    };
    return {
      runs: new WaleRuns(eventSink(add), this.fileTime),
      failed: (at, why) => {
        add(3 + why.length, -3, at, why);
      },
      end: ({ start, end }) => {
        this.kept[i] = { events, size, start, end };
        this.drain();
      },
    };
  }

  /** Range `i`, read in turn by this thread into its runs, is done: lines from `start` read up to `end`. */
  finished(start: number, end: number): void {
    this.read += end - start;
    this.sink.progress(this.read);
    this.current += 1;
    if (this.current === this.ends.length) this.allDone();
  }

  /** Resolves at the next hand-on (or the end): this thread waits so while it keeps too much. */
  handedOn(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Stops waiting: the scan failed. */
  stop(): void {
    this.allDone();
    this.wake();
  }

  /** Reading range `i` stopped early at `at`. */
  failed(i: number, at: number, why: string): void {
    this.sink.failed(at, this.until(i), why);
  }

  /** Hands on what is ready, range after range. */
  drain(): void {
    const count = this.ends.length;
    while (this.current < count) {
      const i = this.current;
      const here = this.kept[i];
      if (here) {
        this.kept[i] = undefined;
        replay(here.events, this.sink, (at, why) => {
          this.failed(i, at, why);
        });
        this.keptSize -= here.size;
        this.finished(here.start, here.end);
        this.wake();
        continue;
      }
      const b = this.queues[i]!.shift();
      if (!b) return;
      const runs = this.folds[i]!;
      // Lines the worker folded itself come after what this thread folded of its range.
      if (b.folded) runs.flush();
      replay(b.events, b.folded ? this.sink : runs);
      const held = new Int32Array(this.held[i]!);
      Atomics.sub(held, 0, b.size);
      Atomics.notify(held, 0);
      if (b.error !== undefined) this.failed(i, b.end, b.error);
      if (!b.done) continue;
      runs.flush();
      this.finished(b.start, b.end);
    }
  }

  /** The offset up to which range `i`'s lines were to be read (null: the file's end). */
  private until(i: number): number | null {
    return i === this.ends.length - 1 ? null : this.ends[i]!;
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
}

/**
 * Hands found lines to `sink` (a range's runs, or the sink itself when they were folded), in the
 * order found; where reading stopped early (this thread's ranges only) to `failed`.
 */
function replay(e: (string | number)[], sink: FoldedSink, failed?: (at: number, why: string) => void): void {
  for (let i = 0; i < e.length; i += 3) {
    const k = e[i] as number;
    if (k >= 0) sink.hit(e[i + 1] as string, e[i + 2] as number, k === 0 ? undefined : k);
    else if (k === -1) sink.longLine(e[i + 1] as number, e[i + 2] as number);
    else if (k === -2) sink.binaryLines(e[i + 1] as number, e[i + 2] as number);
    else failed?.(e[i + 1] as number, e[i + 2] as string);
  }
}
