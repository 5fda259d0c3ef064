/**
 * How log files are opened and how the problems met reading them are told: never blocking on a
 * FIFO, and errors worded so the operator sees which file and why (a permission, a dangling
 * symlink, a loop).
 */
import { constants, type Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { messageOf } from '../core/errors.js';

/** Opening never blocks: a FIFO put in place of a file after it was looked at opens at once (and is then refused). */
export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

export function notAFileWhy(st: Stats, given: boolean): string {
  const what = st.isFIFO()
    ? 'a FIFO (named pipe): not opened, reading it would wait for a writer'
    : st.isSocket()
      ? 'a socket: not read'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device: not read'
        : 'not a regular file: not read';
  return given ? `${what}; give regular files or folders, or - to read standard input` : what;
}

/** Why a path cannot be looked at: a missing file, a symlink to nothing, a symlink loop, a permission. */
export async function whyUnreachable(path: string, err: unknown, given: boolean): Promise<string> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return `${errorText(err)} (a symlink loop: the link leads back to itself)`;
  if (code === 'ENOENT') {
    const link = await lstat(path).then(
      (l) => l.isSymbolicLink(),
      () => false,
    );
    if (link) return `${errorText(err)} (a symlink whose target does not exist)`;
    if (given) return `${errorText(err)} (check the path given to search)`;
  }
  return errorText(err);
}

export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text = e.code ? `${e.code} ${e.message.replace(/^\w+: /, '')}` : messageOf(err);
  return e.code === 'EACCES' || e.code === 'EPERM' ? `${text} (the user running dingo-recover may not read it)` : text;
}
