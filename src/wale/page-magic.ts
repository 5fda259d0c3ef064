/**
 * The PostgreSQL major version that wrote a WAL segment, from its first page's xlp_magic:
 * XLOG_PAGE_MAGIC in src/include/access/xlog_internal.h, which every major changes with its WAL
 * format. What a base backup's extended_version.txt says when wal-e's upload of it failed
 * (wal_e/operator/backup.py uploads it as an attempt, and backup-fetch never reads it).
 */
const MAJOR_OF_MAGIC = new Map<number, string>([
  [0xd075, '9.3'],
  [0xd07e, '9.4'],
  [0xd087, '9.5'],
  [0xd093, '9.6'],
  [0xd097, '10'],
  [0xd098, '11'],
  [0xd101, '12'],
  [0xd106, '13'],
  [0xd10d, '14'],
  [0xd110, '15'],
  [0xd113, '16'],
  [0xd116, '17'],
  [0xd118, '18'],
]);

/** The major that writes `magic`, or null for one no release of 9.3 to 18 writes. */
export function majorOfPageMagic(magic: number): string | null {
  return MAJOR_OF_MAGIC.get(magic) ?? null;
}
