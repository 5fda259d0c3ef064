/**
 * The tar a drill streams into `tar -x` on the simulated cell, read as the image's GNU tar writes it
 * into the room the store has: the data folder's PG_VERSION, the WAL segments given, and the member
 * the disk refused, when one was. A streamed tar is read as its chunks arrive and none of its bytes
 * is kept but a header's, PG_VERSION's and each WAL segment's first 40 (its long page header, which
 * names the system the WAL is of): a drill's tar holds a copy of every 16 MiB WAL segment, of which
 * only that header, the name and the size matter here.
 */
import { LONG_HEADER_BYTES, readLongPageHeader } from '../wale/partial-segment.js';

/**
 * A member of a tar as `tar -x` meets it: its path, its size, the text of the data folder's PG_VERSION,
 * and the system identifier a WAL segment's first page names (its long header).
 */
export interface TarMember {
  name: string;
  size: number;
  text?: string;
  sysid?: string;
}

interface TarRead {
  pgVersion: string | null;
  wal: string[];
  /** The system identifier the first WAL segment's long header names (null: none does). */
  sysid: string | null;
  /** 1024-byte blocks written. */
  kb: number;
  /** The member that did not fit in `room`, how much of it was written, and the members after it. */
  full?: string;
  wrote?: number;
  size?: number;
  after: string[];
}

const BLOCK = 512;
const VERSION_FILE = /^data\/PG_VERSION$/;
const WAL_SEGMENT = /^wal\/([0-9A-F]{24})$/;

/**
 * The members of a ustar stream, read as its chunks come: headers up to the end-of-archive block
 * (or the input's end; a header cut short is none), each member's bytes passed over but PG_VERSION's
 * and a WAL segment's long page header.
 */
export class TarScan {
  readonly members: TarMember[] = [];
  private ended = false;
  /** What the part being read (a header, or a member's bytes padded to a block) still needs. */
  private want = BLOCK;
  /** The part's bytes, copied, when it is a header, PG_VERSION's or a WAL segment's head; undefined when passed over. */
  private kept: Buffer[] | undefined = [];
  /** How many more of the member's bytes are kept: PG_VERSION whole, a segment's long page header. */
  private keep = 0;
  /** The member whose bytes are being read; undefined while a header is. */
  private member: TarMember | undefined;

  push(chunk: Uint8Array): void {
    for (let at = 0; !this.ended && at < chunk.length;) {
      const take = Math.min(this.want, chunk.length - at);
      const kept = this.member ? Math.min(take, this.keep) : take;
      if (this.kept && kept > 0) this.kept.push(Buffer.from(chunk.subarray(at, at + kept)));
      if (this.member) this.keep -= kept;
      at += take;
      this.want -= take;
      if (this.want === 0) this.partRead();
    }
  }

  private partRead(): void {
    const bytes = Buffer.concat(this.kept ?? []);
    if (this.member) {
      if (this.kept && VERSION_FILE.test(this.member.name)) this.member.text = bytes.toString('utf8');
      else if (this.kept) {
        const header = readLongPageHeader(bytes);
        if (!('unreadable' in header)) this.member.sysid = header.systemIdentifier;
      }
      this.nextHeader();
      return;
    }
    if (bytes.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const field = (from: number, len: number): string =>
      bytes
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const member = { name: [field(345, 155), field(0, 100)].filter(Boolean).join('/'), size: parseInt(field(124, 12).trim() || '0', 8) };
    this.members.push(member);
    const padded = Math.ceil(member.size / BLOCK) * BLOCK;
    if (padded === 0) {
      this.nextHeader();
      return;
    }
    this.member = member;
    this.want = padded;
    this.keep = VERSION_FILE.test(member.name) ? member.size : WAL_SEGMENT.test(member.name) ? LONG_HEADER_BYTES : 0;
    this.kept = this.keep > 0 ? [] : undefined;
  }

  private nextHeader(): void {
    this.member = undefined;
    this.want = BLOCK;
    this.kept = [];
  }
}

/** A streamed tar as the simulated cell keeps it: its members, read as it came. */
export interface StreamedTar {
  readonly tar: readonly TarMember[];
}

/** The members of a tar given whole (text or bytes) or streamed. */
export function membersOf(input: string | Buffer | StreamedTar): readonly TarMember[] {
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) return input.tar;
  const scan = new TarScan();
  scan.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  return scan.members;
}

/** What `tar -x` writes of these members into `room` bytes: data/PG_VERSION's text and the WAL segments under wal/. */
export function extractTar(members: readonly TarMember[], room = Infinity): TarRead {
  let pgVersion: string | null = null;
  const wal: { name: string; sysid?: string }[] = [];
  let written = 0;
  const out: TarRead = { pgVersion, wal: [], sysid: null, kb: 0, after: [] };
  for (const { name, size, text, sysid } of members) {
    if (out.full !== undefined) {
      out.after.push(name);
      continue;
    }
    if (written + size > room) {
      // The kernel refuses the rest: a block at a time, as much of the member as fits.
      out.full = name;
      out.wrote = Math.max(0, Math.floor((room - written) / BLOCK) * BLOCK);
      out.size = size;
      written += out.wrote;
      continue;
    }
    written += size;
    if (VERSION_FILE.test(name)) pgVersion = text?.trim() ?? null;
    const segment = WAL_SEGMENT.exec(name)?.[1];
    if (segment) wal.push({ name: segment, ...(sysid && { sysid }) });
  }
  wal.sort((a, b) => a.name.localeCompare(b.name));
  return { ...out, pgVersion, wal: wal.map((w) => w.name), sysid: wal[0]?.sysid ?? null, kb: Math.ceil(written / 1024) };
}
