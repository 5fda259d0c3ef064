/**
 * How the rehearsal's JSON state is kept: replaced whole, never edited in place, and forgetting a
 * key by a new plain record in place of the old, never a key deleted in it.
 */
import { closeSync, openSync, renameSync, writeFileSync } from 'node:fs';

/** `record` without `keys`, its other entries in their order: how the JSON state forgets a key. */
export function withoutKeys<T>(record: Record<string, T>, keys: Iterable<string>): Record<string, T> {
  const gone = new Set(keys);
  return Object.fromEntries(Object.entries(record).filter(([key]) => !gone.has(key)));
}

/**
 * Replaces `file` with `text` (mode 0600): written beside it, then renamed over it, so a reader
 * sees the old state or the new, never half of one. Not fsynced: a rehearsal's world must outlive
 * the process being killed at any moment (the kernel's page cache does), not the machine losing
 * power, and an fsync after every simulated command was most of a rehearsal's time.
 */
export function replaceFile(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
