/** How the rehearsal's JSON state forgets keys: a new plain record in place of the old, never a key deleted in it. */

/** `record` without `keys`, its other entries in their order: how the JSON state forgets a key. */
export function withoutKeys<T>(record: Record<string, T>, keys: Iterable<string>): Record<string, T> {
  const gone = new Set(keys);
  return Object.fromEntries(Object.entries(record).filter(([key]) => !gone.has(key)));
}
