/**
 * A folder of this process's own account, in a folder others may write (the temp folder): one of
 * that name another account made, or a link put there, is never used, followed or removed.
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';

/** Whether `st` (an lstat's) is a real folder, not a link, of this process's account. */
export const isOwnFolder = (st: Stats): boolean => st.isDirectory() && st.uid === process.getuid?.();

/** Makes `dir` with `mode` unless something is there, and says whether what is there now is a folder of our own. */
export async function madeOwnFolder(dir: string, mode: number): Promise<boolean> {
  await mkdir(dir, { mode }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return isOwnFolder(await lstat(dir));
}
