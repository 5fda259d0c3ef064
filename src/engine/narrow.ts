/** Reading values of unknown shape (parsed JSON or YAML, thrown errors) by checking them, not by asserting. */

/** A plain mapping: an object that is not an array (or null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `code` of an operating-system error (ENOENT, EACCES…), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** What a thrown value says: an error's message, anything else as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
