/**
 * The working step's line on a terminal, rewritten in place: a spinner, then what the reporter draws.
 * It is taken off before anything else is written, and drawn again below it.
 */
import { type Palette } from '../../core/colours.js';
import { truncate } from '../../core/screen-lines.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

export class LiveLine {
  /** The line is on the screen (the cursor stands at its end). */
  private drawn = false;
  private timer?: ReturnType<typeof setInterval>;
  private frame = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly paint: Palette,
    private readonly tickMs: number,
  ) {}

  /** Takes the line off the screen, if it is on it. */
  clear(): void {
    if (!this.drawn) return;
    this.write(CLEAR_LINE);
    this.drawn = false;
  }

  /** Draws the spinner and `text` (already made safe), never wider than `width` columns less one. */
  draw(text: string, width: number): void {
    const spin = SPINNER[this.frame]!;
    const line = truncate(`${spin} ${text}`, width - 1);
    this.write(CLEAR_LINE + this.paint.cyan(spin) + line.slice(spin.length));
    this.drawn = true;
  }

  /** Turns the spinner and calls `redraw` every tick, until stopped. */
  tick(redraw: () => void): void {
    this.timer ??= setInterval(() => {
      this.frame = (this.frame + 1) % SPINNER.length;
      redraw();
    }, this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
