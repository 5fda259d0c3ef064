/** How the operator's screen is set: verbosity, the live line, colour, width and clock, and their defaults. */
import { colourWanted, palette, type Palette } from '../../core/colours.js';
import { isTerminal } from './terminal.js';
import { invocation } from '../../core/invocation.js';

export interface ReporterOptions {
  /**
   * Show every command, output, API call, evidence and note too. A Reporter made without options
   * hides nothing; the driver passes the operator's --verbose.
   */
  verbose?: boolean;
  /** Write nothing at all. */
  quiet?: boolean;
  /** Rewrite the working step's line in place. Default: when not verbose and the stream is a terminal. */
  live?: boolean;
  /** Colour the status marks. Default: colourWanted(the command line's environment, the stream is a terminal). */
  color?: boolean;
  /** Columns to fit lines in (never more than MAX_COLUMNS). Default: the terminal's width, else MAX_COLUMNS. */
  columns?: number;
  /** Clock in milliseconds (elapsed times, progress lines). Default Date.now. */
  now?: () => number;
  /** Without a live line, the least time between two progress lines of one step. */
  progressEveryMs?: number;
  /** How often the live line is redrawn. */
  tickMs?: number;
}

/** A colour of the palette, by name. */
export type Colour = keyof Palette;

/** The width of a terminal stream, when it says one (0 or none: unknown). */
export function columnsOf(stream: object): number | undefined {
  return 'columns' in stream && typeof stream.columns === 'number' && stream.columns > 0 ? stream.columns : undefined;
}

/** The options with their defaults filled in for a stream (a terminal or not). */
export function screenSettings(out: object, options: ReporterOptions) {
  const tty = isTerminal(out);
  const verbose = options.verbose ?? true;
  return {
    verbose,
    quiet: options.quiet ?? false,
    live: options.live ?? (tty && !verbose),
    paint: palette(options.color ?? colourWanted(invocation().env, tty)),
    now: options.now ?? Date.now,
    progressEveryMs: options.progressEveryMs ?? 30_000,
    tickMs: options.tickMs ?? 200,
    columns: options.columns,
  };
}
