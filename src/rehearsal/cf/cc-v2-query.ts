/**
 * The v2 Cloud Controller's `q` filters: `q=name:X`, `q=type IN a,b`, `q=timestamp>T` (and `<`,
 * `>=`, `<=`), each `q` narrowing the list further. Only the attributes an endpoint declares
 * are accepted, as the CC's `query_parameters` does; any other is refused with its 400.
 */
import type { Answer } from './cf-route.js';

/** The attributes an endpoint filters on, each read from one item as text. */
export type V2Fields<T> = Record<string, (item: T) => string>;

const Q = /^([a-z_]+)( IN |>=|<=|>|<|:)(.*)$/;

const badQuery = (what: string): Answer => ({
  status: 400,
  body: { code: 10005, description: `The query parameter is invalid: ${what}`, error_code: 'CF-BadQueryParameter' },
});

/** `a` compared with `b`: as times when both are, else as text. */
function compare(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function test(op: string, value: string, wanted: string): boolean {
  switch (op) {
    case ':':
      return value === wanted;
    case ' IN ':
      return wanted.split(',').includes(value);
    case '>':
      return compare(value, wanted) > 0;
    case '<':
      return compare(value, wanted) < 0;
    case '>=':
      return compare(value, wanted) >= 0;
    default:
      return compare(value, wanted) <= 0;
  }
}

/** The items every `q` of the query keeps, or the CC's 400 for a `q` it does not understand. */
export function v2Filtered<T>(items: T[], q: string[], fields: V2Fields<T>): T[] | Answer {
  let kept = items;
  for (const one of q) {
    const m = Q.exec(one);
    const read = m ? fields[m[1]!] : undefined;
    if (!m || !read) return badQuery(m ? m[1]! : one);
    const [, , op, wanted] = m as unknown as [string, string, string, string];
    kept = kept.filter((item) => test(op, read(item), wanted));
  }
  return kept;
}
