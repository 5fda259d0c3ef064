/** OpenSSH's host patterns (`*`, `?`, `!` negation): ssh_config Host and Match lines, known_hosts host lists. */

/** One pattern with `*` and `?` against a whole name, case-sensitive as OpenSSH's match_pattern. */
export function matchPattern(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return re.test(name);
}

/**
 * A pattern list (Host line, comma list of known_hosts): a matching negated pattern
 * vetoes the whole list; otherwise any matching positive pattern matches.
 */
export function matchHostPatterns(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(p.slice(1), name)) return false;
    } else if (matchPattern(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** A Match argument: a comma-separated pattern list. */
export function matchPatternList(list: string, name: string): boolean {
  return matchHostPatterns(list.split(','), name);
}
