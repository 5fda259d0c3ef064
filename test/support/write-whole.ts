/**
 * Writes `text` to `file` whole or not at all: written beside it under this process's name, then
 * renamed into place, so the suite's other workers, which may write or read the same file at once,
 * never see half of it.
 */
import { renameSync, writeFileSync } from 'node:fs';

export function writeWhole(file: string, text: string | Uint8Array): void {
  const part = `${file}.${String(process.pid)}.part`;
  writeFileSync(part, text);
  renameSync(part, file);
}
