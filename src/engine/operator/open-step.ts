import { formatDuration } from '../../core/duration.js';
import { truncate } from '../../core/screen-lines.js';

/** Below this many columns a step's result is folded onto a second line rather than cut. */
const MIN_RESULT_ROOM = 30;

/** The step the operator's screen is showing: where it stands, its time at work (prompts left out), and what waits to be shown. */
export class OpenStep {
  /** Time spent at prompts so far, and since when the step waits on one. */
  private pausedMs = 0;
  private pausedAt?: number;
  /** The wait's latest progress, and the latest command or API call. */
  progress?: string;
  doing?: string;
  /** A header line naming the step was written (something is shown under it before its status line). */
  headed = false;
  lastProgressAt: number;
  /** How the step's confirmation was given, for its status line. */
  confirmed?: string;
  /** Facts confirmed without asking (--yes, the answers file): shown under its status line. */
  readonly facts: [string, string][] = [];
  /** Its notes not shown yet: shown if it asks the operator something or stops. */
  readonly notes: string[] = [];

  constructor(
    readonly index: number,
    readonly total: number,
    readonly title: string,
    private readonly startedAt: number,
  ) {
    this.lastProgressAt = startedAt;
  }

  /** `[index/total] title`, as every line about the step begins. */
  label(): string {
    return `[${this.index}/${this.total}] ${this.title}`;
  }

  /** A prompt took the screen at `now`: the step's clock stops. */
  pause(now: number): void {
    this.pausedAt ??= now;
  }

  /** The prompt was answered at `now`: the step's clock goes on. */
  resume(now: number): void {
    if (this.pausedAt === undefined) return;
    this.pausedMs += now - this.pausedAt;
    this.pausedAt = undefined;
  }

  /** What its status line says after the result: its time at work (or `durationMs`) and how it was confirmed. */
  meta(now: number, durationMs?: number): string {
    return [formatDuration(durationMs ?? this.elapsed(now)), this.confirmed].filter(Boolean).join(', ');
  }

  /**
   * Its status line after `mark`, for a screen `width` wide: label, result and meta on one line, a long
   * result cut to what fits (the journal and `show` keep it whole).
   */
  statusText(mark: string, text: string, width: number, now: number, durationMs?: number): string {
    const meta = this.meta(now, durationMs);
    const room = width - `${mark} ${this.label()} —  (${meta})`.length;
    const result = text.length > room && room >= MIN_RESULT_ROOM ? truncate(text, room) : text;
    return `${this.label()}${result ? ` — ${result}` : ''} (${meta})`;
  }

  /** The step's time at work: since it started, less the time it waited on a prompt. */
  elapsed(now: number): number {
    const paused = this.pausedMs + (this.pausedAt === undefined ? 0 : now - this.pausedAt);
    return Math.max(0, now - this.startedAt - paused);
  }
}
