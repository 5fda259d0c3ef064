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
