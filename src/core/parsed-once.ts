/**
 * Text parsed once per process: a run loads its runbook in its preflight and in its driver, each
 * runbook a `use` step inlines is loaded by every runbook that uses it, and a rehearsal reads its
 * scenario to choose its runbook and again for the platform. The same text always parses the same.
 *
 * Keyed by the text itself, never by a file's name or age: a file changed between two loads is parsed
 * anew. The most recently used `limit` texts are kept. A parse that throws keeps nothing.
 */
export function parsedOnce<T>(parse: (text: string) => T, limit = 32): (text: string) => T {
  const kept = new Map<string, T>();
  return (text) => {
    if (kept.has(text)) {
      const had = kept.get(text) as T;
      // Most recently used last, so the oldest goes first.
      kept.delete(text);
      kept.set(text, had);
      return had;
    }
    const parsed = parse(text);
    kept.set(text, parsed);
    if (kept.size > limit) kept.delete(kept.keys().next().value as string);
    return parsed;
  };
}
