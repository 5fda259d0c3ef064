/**
 * Narrowing for values whose shape is known only once read: parsed JSON, a caught error.
 * Each reader returns what is there, typed, or undefined; none assumes a shape.
 */
export type JsonRecord = Record<string, unknown>;

/** A plain object (an Error counts; an array does not). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
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

/** The message of whatever was thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
