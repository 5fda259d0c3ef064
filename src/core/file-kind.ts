import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';

/** What a path is, for messages: "a FIFO", "a symbolic link"… (from its lstat). */
export function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a folder';
  if (st.isFile()) return 'a regular file';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  return 'a block device';
}

/** Something is at `path`, of any kind (a link is not followed: a dangling one is there too). */
export const present = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    () => false,
  );
