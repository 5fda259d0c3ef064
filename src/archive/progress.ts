/** Progress of a phase of the swap: objects, bytes, rate and a rough ETA. */
import { formatBytes } from '../core/format.js';
export type SwapPhase = 'quarantine-copy' | 'quarantine-verify' | 'quarantine-delete' | 'copy' | 'copy-sentinels' | 'verify';

export interface ProgressEvent {
  phase: SwapPhase;
  objectsDone: number;
  objectsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second since the phase started. */
  rate: number;
  /** Seconds left at the current rate; null until something is done. */
  etaSeconds: number | null;
}

export type OnProgress = (event: ProgressEvent) => void;

/** One line of progress for people: `copy: 10/40 objects, 3.0 GiB/12.0 GiB, 50.0 MiB/s, ETA 3m5s`. */
export function formatProgress(e: ProgressEvent): string {
  const eta =
    e.etaSeconds === null
      ? ''
      : `, ETA ${e.etaSeconds < 60 ? `${e.etaSeconds}s` : `${Math.floor(e.etaSeconds / 60)}m${e.etaSeconds % 60}s`}`;
  return (
    `${e.phase}: ${e.objectsDone}/${e.objectsTotal} objects, ` +
    `${formatBytes(e.bytesDone)}/${formatBytes(e.bytesTotal)}, ${formatBytes(e.rate)}/s${eta}`
  );
}

export class ProgressTracker {
  private objectsDone = 0;
  private bytesDone = 0;
  private readonly started = performance.now();
  private lastEmitted = { objects: -1, at: 0 };

  constructor(
    private readonly phase: SwapPhase,
    private readonly objectsTotal: number,
    private readonly bytesTotal: number,
    private readonly onProgress?: OnProgress,
  ) {
    this.emit();
  }

  add(objects: number, bytes: number): void {
    this.objectsDone += objects;
    this.bytesDone += bytes;
    // About a hundred events per phase, or one a second, and always the last one.
    const step = Math.max(1, Math.floor(this.objectsTotal / 100));
    const now = performance.now();
    if (this.objectsDone >= this.objectsTotal || this.objectsDone - this.lastEmitted.objects >= step || now - this.lastEmitted.at >= 1000) {
      this.emit();
    }
  }

  private emit(): void {
    if (!this.onProgress) return;
    const now = performance.now();
    this.lastEmitted = { objects: this.objectsDone, at: now };
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.bytesDone / seconds : 0;
    const objectRate = seconds > 0 ? this.objectsDone / seconds : 0;
    // Small objects are bound by requests, big ones by bytes: take the slower estimate.
    const left = [
      rate > 0 ? (this.bytesTotal - this.bytesDone) / rate : null,
      objectRate > 0 ? (this.objectsTotal - this.objectsDone) / objectRate : null,
    ].filter((x): x is number => x !== null);
    this.onProgress({
      phase: this.phase,
      objectsDone: this.objectsDone,
      objectsTotal: this.objectsTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      rate,
      etaSeconds: left.length ? Math.max(0, Math.round(Math.max(...left))) : null,
    });
  }
}
