/**
 * How a line reaches the operator's screen: redacted, its control characters shown as escapes,
 * folded to the screen's width (never when verbose: the transcript keeps lines whole), then painted;
 * the live line is taken off before and drawn again after.
 */
import type { Writable } from 'node:stream';
import { type Palette } from '../../core/colours.js';
import { oneLine, printable } from '../../core/display.js';
import { MAX_COLUMNS, fold } from '../../core/screen-lines.js';
import type { Redactor } from '../../core/redact.js';
import type { LiveLine } from './live-line.js';
import { columnsOf, type Colour } from './reporter-options.js';

export class ScreenLines {
  /** The live line, taken off the screen while permanent lines are written. */
  liveLine?: LiveLine;

  constructor(
    private readonly out: Writable,
    private readonly redactor: Redactor,
    private readonly o: { quiet: boolean; verbose: boolean; paint: Palette; columns?: number },
    /** Draws the live line again below what was written. */
    private readonly redraw: () => void,
  ) {}

  /** The width lines are fitted to. */
  width(): number {
    const screen = this.o.columns ?? columnsOf(this.out) ?? MAX_COLUMNS;
    return Math.max(40, Math.min(screen, MAX_COLUMNS));
  }

  safe(text: string): string {
    return printable(this.redactor.redact(text));
  }

  raw(text: string): void {
    if (!this.o.quiet) this.out.write(text);
  }

  /** Lines already made safe (and painted): the live line is taken off first and drawn again below them. */
  permanent(lines: string[]): void {
    if (this.o.quiet) return;
    this.liveLine?.clear();
    this.raw(lines.join('\n') + '\n');
    this.redraw();
  }

  /** Text as lines under `indent`: redacted, escaped, folded to the screen unless verbose, then painted. */
  show(text: string, indent = '', colour?: Colour): void {
    const lines = this.safe(text)
      .split('\n')
      .map((l) => indent + l)
      .flatMap((l) => (this.o.verbose ? [l] : fold(l, this.width())));
    this.permanent(colour ? lines.map((l) => this.o.paint[colour](l)) : lines);
  }

  /** A line of the verbose transcript: redacted and escaped, never folded. */
  write(text: string): void {
    this.permanent([this.safe(text)]);
  }

  /** A line of the tool's own (a status line, a step's header): one line whatever remote text it holds, folded to the screen. */
  marked(mark: string, colour: Colour, text: string): void {
    const lines = fold(`${mark} ${oneLine(this.redactor.redact(text))}`, this.width());
    lines[0] = this.o.paint[colour](mark) + lines[0]!.slice(mark.length);
    this.permanent(lines);
  }
}
