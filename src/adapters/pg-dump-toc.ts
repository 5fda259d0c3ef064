/**
 * The table of contents of a `pg_dump -Fc` archive, read as pg_restore reads it (its header, then
 * each entry: id, what it is, its name, schema and SQL), without pg_restore: the entries are needed
 * where no PostgreSQL client is installed (a rehearsal), and a file of the tenant's is never handed to
 * a program to find out what it holds. Archive versions 1.10 (PostgreSQL 8.1's pg_dump) to 1.16 (17's);
 * any other, another format than custom, or a TOC that runs past the file is refused, naming why.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface TocEntry {
  /** The entry's dump id: what a pg_restore use-list (-L) names it by. */
  id: number;
  /** What it is: `TABLE`, `TABLE DATA`, `EXTENSION`, `COMMENT`, `SCHEMA`… */
  desc: string;
  /** Its name; for a COMMENT, what it is on (`EXTENSION hstore`). */
  tag: string;
  /** Its schema, or '' for objects outside one (an extension, a schema). */
  namespace: string;
  /** The SQL that makes it. */
  defn: string;
}

export interface DumpToc {
  /** The archive's format version, e.g. `1.14`. */
  version: string;
  /** The version of the pg_dump that wrote it, e.g. `15.14 (Debian 15.14-0+deb12u1)`, and of the server it dumped. */
  dumpedBy: string;
  dumpedFrom: string;
  entries: TocEntry[];
}

const version = (major: number, minor: number): number => major * 256 + minor;
const V1_10 = version(1, 10);
const V1_11 = version(1, 11);
const V1_14 = version(1, 14);
const V1_15 = version(1, 15);
const V1_16 = version(1, 16);
const CUSTOM_FORMAT = 1;

/** Reads `length` bytes at `position` (fewer at the end, none past it). */
type ReadAt = (position: number, length: number) => Buffer;

/** The archive's bytes, read from the start as they are asked for. */
class Reader {
  private buf = Buffer.alloc(0);
  private at = 0;
  private position = 0;
  intSize = 4;
  offSize = 8;

  constructor(
    private readonly readAt: ReadAt,
    private readonly name: string,
  ) {}

  private need(n: number): void {
    while (this.at + n > this.buf.length) {
      const got = this.readAt(this.position, Math.max(n, 1 << 16));
      if (!got.length) throw new Error(`${this.name}: the archive ends inside its table of contents (a cut or corrupt dump)`);
      this.position += got.length;
      this.buf = Buffer.concat([this.buf.subarray(this.at), got]);
      this.at = 0;
    }
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  byte(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }

  /** A sign byte, then intSize bytes, least significant first. */
  int(): number {
    this.need(1 + this.intSize);
    const negative = this.buf[this.at] !== 0;
    let value = 0;
    for (let k = this.intSize; k >= 1; k--) value = value * 256 + this.buf[this.at + k]!;
    this.at += 1 + this.intSize;
    return negative ? -value : value;
  }

  /** A length (an int, -1 for none), then that many bytes. */
  str(): string | null {
    const n = this.length();
    return n < 0 ? null : this.bytes(n).toString('utf8');
  }

  /** A string passed over, not decoded; whether it was one (false: none, the end of a list). */
  skip(): boolean {
    const n = this.length();
    if (n > 0) {
      this.need(n);
      this.at += n;
    }
    return n >= 0;
  }

  private length(): number {
    const n = this.int();
    if (n > 1 << 30) throw new Error(`${this.name}: a string of ${n} bytes in the table of contents (a corrupt dump)`);
    return n;
  }
}

function readHeader(r: Reader, file: string): { v: number; dumpedBy: string; dumpedFrom: string } {
  if (r.bytes(5).toString('latin1') !== 'PGDMP') throw new Error(`${file} is not a pg_dump archive (no PGDMP at its start)`);
  const major = r.byte();
  const minor = r.byte();
  if (major > 1 || minor > 0) r.byte();
  const v = version(major, minor);
  if (v < V1_10 || v > V1_16)
    throw new Error(`${file} is a pg_dump archive of version ${major}.${minor}, which is not read here (1.10 to 1.16 are)`);
  r.intSize = r.byte();
  r.offSize = r.byte();
  if (r.intSize < 1 || r.intSize > 8 || r.offSize < 1 || r.offSize > 8)
    throw new Error(`${file}: integer sizes ${r.intSize}/${r.offSize} in its header (a corrupt dump)`);
  const format = r.byte();
  if (format !== CUSTOM_FORMAT) throw new Error(`${file} is a pg_dump archive of format ${format}, not the custom format (pg_dump -Fc)`);
  if (v >= V1_15) r.byte();
  else r.int();
  for (let k = 0; k < 7; k++) r.int();
  r.skip();
  const dumpedFrom = r.str() ?? '';
  const dumpedBy = r.str() ?? '';
  return { v, dumpedBy, dumpedFrom };
}

function readEntry(r: Reader, v: number): TocEntry {
  const id = r.int();
  r.int();
  r.skip();
  r.skip();
  const tag = r.str() ?? '';
  const desc = r.str() ?? '';
  if (v >= V1_11) r.int();
  const defn = r.str() ?? '';
  r.skip();
  r.skip();
  const namespace = r.str() ?? '';
  r.skip();
  if (v >= V1_14) r.skip();
  if (v >= V1_16) r.int();
  r.skip();
  r.skip();
  while (r.skip());
  // The custom format's own part: where the entry's data is (a flag byte, then offSize bytes).
  r.bytes(1 + r.offSize);
  return { id, desc, tag, namespace, defn };
}

function readToc(readAt: ReadAt, name: string): DumpToc {
  const r = new Reader(readAt, name);
  const { v, dumpedBy, dumpedFrom } = readHeader(r, name);
  const count = r.int();
  if (count < 0) throw new Error(`${name}: ${count} entries in its table of contents (a corrupt dump)`);
  const entries: TocEntry[] = [];
  for (let k = 0; k < count; k++) entries.push(readEntry(r, v));
  return { version: `${v >> 8}.${v & 255}`, dumpedBy, dumpedFrom, entries };
}

/** The table of contents of the archive in `file`; refuses (throws) naming the file and why when it cannot be read. */
export function readDumpToc(file: string): DumpToc {
  const fd = openSync(file, 'r');
  try {
    return readToc((position, length) => {
      const chunk = Buffer.alloc(length);
      return chunk.subarray(0, readSync(fd, chunk, 0, length, position));
    }, file);
  } finally {
    closeSync(fd);
  }
}

/** The table of contents of an archive held in memory (`name` says whose, in a refusal). */
export function dumpTocOf(archive: Buffer, name: string): DumpToc {
  return readToc((position, length) => archive.subarray(position, position + length), name);
}
