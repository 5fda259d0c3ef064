/**
 * A pg_dump custom-format archive's header and table of contents, written as pg_dump writes them
 * (pg_backup_archiver.c WriteHead/WriteToc, pg_backup_custom.c): the versions a live pg_dump here
 * cannot write (1.12 of pg_dump 9.x, 1.16 of 17), for the readers that must take them. No data.
 */
export interface ArchiveEntry {
  id: number;
  desc: string;
  tag: string;
  namespace?: string;
  defn?: string;
}

function int(n: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = n < 0 ? 1 : 0;
  b.writeUInt32LE(Math.abs(n), 1);
  return b;
}

function str(s: string | null): Buffer {
  if (s === null) return int(-1);
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([int(bytes.length), bytes]);
}

/** The archive of version 1.`minor` (format 1, custom, unless `format` says otherwise) holding `entries`. */
export function dumpArchive(minor: number, entries: ArchiveEntry[], format = 1): Buffer {
  const parts: Buffer[] = [Buffer.from('PGDMP', 'latin1'), Buffer.from([1, minor, 0, 4, 8, format])];
  parts.push(minor >= 15 ? Buffer.from([0]) : int(-1));
  for (const n of [0, 0, 12, 1, 0, 125, 0]) parts.push(int(n));
  parts.push(str('shop'), str('9.5.25'), str(minor >= 16 ? '17.2' : '9.5.25'));
  parts.push(int(entries.length));
  for (const e of entries) {
    parts.push(int(e.id), int(e.desc === 'TABLE DATA' ? 1 : 0), str('0'), str(String(e.id + 16000)), str(e.tag), str(e.desc));
    if (minor >= 11) parts.push(int(1));
    parts.push(str(e.defn ?? ''), str(''), str(''), str(e.namespace ?? ''), str(''));
    if (minor >= 14) parts.push(str(''));
    if (minor >= 16) parts.push(int(0));
    parts.push(str('postgres'), str('false'), str('1'), str(null));
    // No data: K_OFFSET_NO_DATA, then the offset's 8 bytes.
    parts.push(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0]));
  }
  return Buffer.concat(parts);
}
