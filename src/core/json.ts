/**
 * Reading values whose shape is known only once read (parsed JSON, a caught error, a step's
 * outputs) without casts: each reader returns what is there, typed, or a stated fallback.
 */
export type JsonRecord = Record<string, unknown>;

/** A plain object (an Error counts; an array does not). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object under `key`, or undefined when there is none. */
export function recordAt(value: unknown, key: string): JsonRecord | undefined {
  const v = isRecord(value) ? value[key] : undefined;
  return isRecord(v) ? v : undefined;
}

/** The string under `key`, or undefined when there is none. */
export function stringAt(value: unknown, key: string): string | undefined {
  const v = isRecord(value) ? value[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** The number under `key`, or undefined when there is none. */
export function numberAt(value: unknown, key: string): number | undefined {
  const v = isRecord(value) ? value[key] : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** A string, number or boolean as text; `fallback` for anything else. */
export function textOf(value: unknown, fallback = ''): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : fallback;
}

/** The strings of a list (its other elements left out); [] when it is not a list. */
export function textsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
}
