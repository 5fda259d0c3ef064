/**
 * The nearest known name to a mistyped one, for every refusal of an unknown key or name (a runbook's
 * choice or report line, an answers file's input or choice, `--set`): near enough by edit distance
 * (a third of its length, at least two), else nothing is suggested.
 */
import { closest, distance } from 'fastest-levenshtein';

/** ` (did you mean "X"?)` when one of `known` is near `given`, else ''. */
export function didYouMean(given: string, known: readonly string[]): string {
  if (!known.length) return '';
  const near = closest(given, known);
  return distance(given, near) <= Math.max(2, Math.floor(given.length / 3)) ? ` (did you mean "${near}"?)` : '';
}
