/**
 * Words quoted for the shell, so a command runs, or a command printed for the operator to paste
 * runs, exactly as built whatever a value holds (`$(...)`, backticks, `;`, spaces, quotes): a word
 * of safe characters as it is, anything else in single quotes, in which nothing is special (POSIX).
 *
 * A printed command (`pasteCommand`) also never carries a raw control character to the terminal: a
 * word holding one (an escape sequence, a newline) is written `$'...'` with each control as `\xHH`,
 * as bash, zsh and ksh read it, so the line shows what it holds and, pasted, gives the very bytes.
 */

const SAFE = /^[A-Za-z0-9_/.,:=+@%-]+$/;
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** One word for a POSIX shell that runs it. */
export function shellQuote(word: string): string {
  return word !== '' && SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line for a POSIX shell that runs it: each word quoted, joined by spaces. */
export function shellQuoteAll(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A word with controls as `$'...'`: backslash and quote escaped, each control `\xHH` (a C1 one as its UTF-8 bytes). */
function ansiC(word: string): string {
  const body = Array.from(word)
    .map((c) => {
      if (c === '\\' || c === "'") return `\\${c}`;
      if (!CONTROL.test(c)) return c;
      return Array.from(Buffer.from(c, 'utf8'))
        .map((b) => `\\x${b.toString(16).padStart(2, '0')}`)
        .join('');
    })
    .join('');
  return `$'${body}'`;
}

/** One word of a command printed for the operator to paste. */
export function pasteQuote(word: string): string {
  return CONTROL.test(word) ? ansiC(word) : shellQuote(word);
}

/** A command printed for the operator to paste: each word quoted (see pasteQuote), joined by spaces. */
export function pasteCommand(argv: readonly string[]): string {
  return argv.map(pasteQuote).join(' ');
}
