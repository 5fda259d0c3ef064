/**
 * Opening a file someone else wrote (a volume's, a restored copy's) while the tool runs as root: read-only, never
 * through a link (O_NOFOLLOW), never waiting on a FIFO put in the file's place (O_NONBLOCK), without
 * touching its access time where the kernel allows (O_NOATIME), and then checked to be a regular
 * file inside the folder it was asked from (its descriptor's path in /proc, which no link can fake).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
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

/** The most of a log read at once: its end, where it is longer. */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

/**
 * A log another account writes (a scratch server's), from byte `from` on and at most its last
 * MAX_LOG_BYTES; empty when it is not there yet. Whoever writes it may put a FIFO, a link or a device
 * in its place: that is refused (NotRegular), never read, and the read never waits. Synchronous, for
 * a message that must be written at once (a deadline's): a regular file's read does not block.
 */
export function readLogSync(path: string, from = 0): string {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    return absentOr(err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegular(kindOf(st));
    const at = Math.max(from, st.size - MAX_LOG_BYTES);
    const buf = Buffer.alloc(Math.max(0, st.size - at));
    let got = 0;
    for (let n = -1; got < buf.length && n !== 0; got += n) n = readSync(fd, buf, got, buf.length - got, at + got);
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The same, read off the event loop. */
export async function readLog(path: string, from = 0): Promise<string> {
  const fh = await open(path, FLAGS).catch((err: unknown) => absentOr(err));
  if (typeof fh === 'string') return fh;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegular(kindOf(st));
    const at = Math.max(from, st.size - MAX_LOG_BYTES);
    const buf = Buffer.alloc(Math.max(0, st.size - at));
    let got = 0;
    for (let n = -1; got < buf.length && n !== 0; got += n) n = (await fh.read(buf, got, buf.length - got, at + got)).bytesRead;
    return buf.subarray(0, got).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** A log not there yet reads as empty; a link in its place is not followed. */
function absentOr(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return '';
  if (code === 'ELOOP') throw new NotRegular('a symbolic link');
  throw err;
}
