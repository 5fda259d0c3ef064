/**
 * The tar a drill streams into `tar -x` on the simulated cell, read as the image's GNU tar writes it
 * into the room the store has: the data folder's PG_VERSION, the WAL segments given, and the member
 * the disk refused, when one was.
 */

interface TarRead {
  pgVersion: string | null;
  wal: string[];
  /** 1024-byte blocks written. */
  kb: number;
  /** The member that did not fit in `room`, how much of it was written, and the members after it. */
  full?: string;
  wrote?: number;
  size?: number;
  after: string[];
}

/** The entries of a ustar stream as `tar -x` writes them into `room` bytes: data/PG_VERSION's text and the WAL segments under wal/. */
export function readTar(buf: Buffer, room = Infinity): TarRead {
  let pgVersion: string | null = null;
  const wal: string[] = [];
  let written = 0;
  const out: TarRead = { pgVersion, wal, kb: 0, after: [] };
  for (let at = 0; at + 512 <= buf.length;) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number): string =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join('/');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const body = buf.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (out.full !== undefined) {
      out.after.push(name);
      continue;
    }
    if (written + size > room) {
      // The kernel refuses the rest: a block at a time, as much of the member as fits.
      out.full = name;
      out.wrote = Math.max(0, Math.floor((room - written) / 512) * 512);
      out.size = size;
      written += out.wrote;
      continue;
    }
    written += size;
    if (/^data\/PG_VERSION$/.test(name)) pgVersion = body.toString('utf8').trim();
    const segment = /^wal\/([0-9A-F]{24})$/.exec(name)?.[1];
    if (segment) wal.push(segment);
  }
  wal.sort();
  return { ...out, pgVersion, wal, kb: Math.ceil(written / 1024) };
}
