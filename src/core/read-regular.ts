/**
 * Opening a file someone else wrote (a volume's, a restored copy's) while the tool runs as root: read-only, never
 * through a link (O_NOFOLLOW), never waiting on a FIFO put in the file's place (O_NONBLOCK), without
 * touching its access time where the kernel allows (O_NOATIME), and then checked to be a regular
 * file inside the folder it was asked from (its descriptor's path in /proc, which no link can fake).
 */
import { constants, type Stats } from 'node:fs';
import { kindOf } from './file-kind.js';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';

export const inside = (root: string, path: string): boolean => path === root || path.startsWith(root + sep);

/** A file that is not one to read: what it is instead. */
export class NotRegular extends Error {}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens `path` as a regular file inside `root` (a real path), or throws NotRegular saying what it is
 * instead (a link, a FIFO, a device, a file reached through a linked folder out of `root`).
 */
export async function openRegular(path: string, root: string): Promise<{ fh: FileHandle; st: Stats }> {
  const fh = await open(path, FLAGS | constants.O_NOATIME).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    // O_NOATIME is refused (EPERM) on files of another owner unless we are root; plain read-only then.
    if (code === 'EPERM') return open(path, FLAGS);
    if (code === 'ELOOP') throw new NotRegular('a symbolic link');
    throw err;
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegular(kindOf(st));
    const where = await readlink(`/proc/self/fd/${fh.fd}`);
    if (!inside(root, where)) throw new NotRegular(`reached through a link, at ${JSON.stringify(where)}`);
    return { fh, st };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The first `bytes` bytes of a regular file inside `root` (see openRegular). */
export async function headOf(path: string, root: string, bytes: number): Promise<Buffer> {
  const { fh } = await openRegular(path, root);
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
