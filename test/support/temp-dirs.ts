import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

/** A maker of fresh temporary folders named `<prefix>…`, each removed after the test that made it. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** A temporary folder named `<prefix>…`, made now and removed after the tests of the file (or describe) that made it. */
export function tempDirForAll(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => {
    rmSync(d, { recursive: true, force: true });
  });
  return d;
}

/** The error `fn` throws (with the DingoError fields it may carry); fails the test when it throws nothing. */
export function thrown(fn: () => unknown): Error & { hint?: string; exitCode?: number } {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`expected an Error, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an error');
}
