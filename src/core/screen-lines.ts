/**
 * Lines of the operator's screen: the widest it gets, a text cut to a width, a long line folded at
 * its spaces without cutting a word, and a list shortened to its first items.
 */

/** The widest line the operator's screen gets by default, whatever the terminal. */
export const MAX_COLUMNS = 200;

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
