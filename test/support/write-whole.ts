/**
 * Writes `text` to `file` whole or not at all: written beside it as this process's part (parts.ts),
 * then renamed into place, so the suite's other workers, which may write or read the same file at
 * once, never see half of it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { partOf } from './parts.js';

export function writeWhole(file: string, text: string | Uint8Array): void {
  const part = partOf(file);
  writeFileSync(part, text);
  renameSync(part, file);
}
