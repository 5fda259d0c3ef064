/** Free space on this machine's file systems, as this process may use it. */
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoCode } from './errors.js';

/** Free bytes for this process on the file system that holds `path`, or the nearest folder above it that exists. */
export async function freeBytesAt(path: string): Promise<{ folder: string; free: number }> {
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    try {
      const fs = await statfs(folder);
      return { folder, free: fs.bavail * fs.bsize };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' || dirname(folder) === folder) throw err;
    }
  }
}
