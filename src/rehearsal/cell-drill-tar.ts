/**
 * The tar a drill streams into `tar -x` on the simulated cell, read as the image's GNU tar writes it
 * into the room the store has: the data folder's PG_VERSION, the WAL segments given, and the member
 * the disk refused, when one was. It is read in the chunks it came in: a drill's tar holds a copy of
 * every 16 MiB WAL segment, of which only the headers matter here.
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

/** The bytes of a list of chunks, front to back, copied only where a read spans two chunks. */
class Chunks {
  private index = 0;
  private offset = 0;

  constructor(private readonly chunks: readonly Buffer[]) {}

  /** The next `n` bytes (fewer at the end), or only passed over when `keep` is false. */
  next(n: number, keep = true): Buffer {
    const parts: Buffer[] = [];
    for (let need = n; need > 0 && this.index < this.chunks.length;) {
      const chunk = this.chunks[this.index]!;
      const part = chunk.subarray(this.offset, this.offset + need);
      if (keep) parts.push(part);
      need -= part.length;
      this.offset += part.length;
      if (this.offset >= chunk.length) {
        this.index++;
        this.offset = 0;
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/** The entries of a ustar stream as `tar -x` writes them into `room` bytes: data/PG_VERSION's text and the WAL segments under wal/. */
export function readTar(input: readonly Buffer[], room = Infinity): TarRead {
  let pgVersion: string | null = null;
  const wal: string[] = [];
  let written = 0;
  const out: TarRead = { pgVersion, wal, kb: 0, after: [] };
  const stream = new Chunks(input);
  for (;;) {
    const header = stream.next(512);
    if (header.length < 512 || header.every((b) => b === 0)) break;
    const field = (from: number, len: number): string =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join('/');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const version = /^data\/PG_VERSION$/.test(name);
    const body = stream.next(size, version);
    stream.next(Math.ceil(size / 512) * 512 - size, false);
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
    if (version) pgVersion = body.toString('utf8').trim();
    const segment = /^wal\/([0-9A-F]{24})$/.exec(name)?.[1];
    if (segment) wal.push(segment);
  }
  wal.sort();
  return { ...out, pgVersion, wal, kb: Math.ceil(written / 1024) };
}
