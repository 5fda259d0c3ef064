/**
 * Colour on the operator's screen: whether it is wanted (FORCE_COLOR, NO_COLOR, a terminal that is
 * not dumb) and the SGR sequences of the few colours the screen uses, applied only to text that
 * display.ts has already made printable.
 */

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
