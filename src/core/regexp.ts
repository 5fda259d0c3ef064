/** Literal text inside a regular expression. */

/** `text` with every character a regular expression gives a meaning to escaped, so it matches itself. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
