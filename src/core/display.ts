/**
 * Text from remote machines (command output, file names, log lines) shown on a
 * terminal: control characters become visible escapes, so a NUL from
 * `find -printf '%f\0'`, a title-setting `ESC]0;…BEL`, a screen-clearing `ESC[2J`,
 * an 8-bit CSI or a carriage return that overwrites the line cannot act on the
 * operator's terminal. Only what is shown is escaped: the journal keeps the bytes.
 */

const NAMED: Record<string, string> = { '\0': '\\0', '\r': '\\r', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

/**
 * C0 controls except tab and newline, DEL, C1 controls, and the Unicode controls that reorder or hide
 * text (bidirectional embeddings, overrides and isolates, line and paragraph separators).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const UNSAFE = /\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  if (c === '\r\n') return '\n';
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` safe to write to a terminal: every control character but newline and tab shown as an escape
 * (`\x1b`, `\0`, `\r`, `\x9b`, `\u202e`); a carriage return ending a line (CRLF) is dropped.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/**
 * `text` as one line of the screen, printable: a newline inside it (a remote value: a container
 * name, a cf or docker answer, a log line) is shown as `\\n` too, so it can never start a line that
 * reads as the tool's own (a forged status line).
 */
export function oneLine(text: string): string {
  return printable(text).replace(/\n/g, '\\n');
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0 controls, but not DEL, C1 or the Unicode
 * controls; these are written as `\uXXXX` too. The text parses back to the same value.
 */
export function printableJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The widest line the operator's screen gets by default, whatever the terminal. */
export const MAX_COLUMNS = 200;

/**
 * Whether to colour what is written: FORCE_COLOR (any value but 0 or false) forces it on, else
 * NO_COLOR (any non-empty value) turns it off, else colour goes to a terminal that is not dumb.
 */
export function colourWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !/^(0|false)$/i.test(force.trim());
  if (env.NO_COLOR) return false;
  return isTTY && env.TERM !== 'dumb';
}

export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => (text ? `\x1b[${open}m${text}\x1b[${close}m` : text);
const plain = (text: string) => text;

/** SGR colours, or the text unchanged. Applied only to text already passed through `printable`. */
export function palette(enabled: boolean): Palette {
  if (!enabled) return { green: plain, red: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };
  return { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

/** `text` cut to `width` columns, ending in "…" when it was longer. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return width <= 1 ? '…'.slice(0, width) : chars.slice(0, width - 1).join('') + '…';
}

/**
 * One line folded to `columns` at spaces; continuation lines are indented `hang` spaces deeper than
 * the line itself. Every character is kept, and no word is ever cut: a GUID, URL or path copied from
 * the screen must come out whole, so a word longer than a line ends a line that the terminal wraps.
 */
export function fold(line: string, columns: number, hang = 4): string[] {
  const width = Math.max(1, Math.floor(columns));
  const indent = /^ */.exec(line)![0].length;
  const pad = ' '.repeat(Math.max(0, Math.min(indent + hang, width - 20)));
  const out: string[] = [];
  let rest = line;
  let room = width;
  while (Array.from(rest).length > room) {
    const chars = Array.from(rest);
    let cut = chars
      .slice(0, room + 1)
      .join('')
      .lastIndexOf(' ');
    const start = out.length ? 0 : indent;
    // A break this early leaves a short line; it is taken only to keep whole a word (a path, a URL)
    // that fits on a line of its own. A longer word stays on this line, which ends after it.
    const next = Array.from(rest.slice(cut + 1).split(' ')[0] ?? '');
    const keepsWordWhole = cut > start && next.length <= width - pad.length;
    if (cut <= start + Math.floor(room / 3) && !keepsWordWhole) {
      const after = rest.indexOf(' ', chars.slice(0, room).join('').length);
      if (after < 0) break;
      cut = after;
    }
    out.push((out.length ? pad : '') + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^ +/, '');
    room = width - pad.length;
  }
  if (rest || out.length === 0) out.push((out.length ? pad : '') + rest);
  return out;
}

/** The first `max` items, comma-separated, and an ellipsis when there are more: "a, b, c, …". */
export function someOf(items: readonly string[], max = 5): string {
  return items.slice(0, max).join(', ') + (items.length > max ? ', …' : '');
}
