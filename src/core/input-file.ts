/** Reading a file the operator gives, safely: never blocking on a FIFO, never reading a device. */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { messageOf, UsageError } from './errors.js';
import { checkTrusted } from './file-trust.js';

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The text of a file the operator gives (a runbook, an answers file, a scenario, a CA file) or a
 * run keeps (its lock). Only a regular file of at
 * most `maxBytes` is read: a FIFO would block until something writes to it, a device may never
 * end. Anything else is a UsageError saying what the file is and what to give instead; an error
 * of the operating system (ENOENT, EACCES…) is its `cause`. With `trusted`, a file a root run obeys
 * (a runbook, an answers file) must also be the operator's (file-trust.ts), once it is known to be a file.
 */
export function readInputFile(file: string, o: { what: string; maxBytes: number; hint: string; trusted?: boolean }): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`cannot read ${o.what} ${file}: it is ${fileKind(st)}, not a file`, { hint: o.hint });
    if (o.trusted) checkTrusted(file, o.what);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > o.maxBytes) {
        throw new UsageError(
          `cannot read ${o.what} ${file}: it is over ${o.maxBytes / (1024 * 1024)} MiB, far more than a ${o.what} holds`,
          { hint: o.hint },
        );
      }
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${o.what} ${file}: ${messageOf(err)}`, { hint: o.hint, cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
