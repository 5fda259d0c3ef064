/**
 * A `.partial` WAL segment: what a promoted standby archives of the segment it was in when it
 * switched timeline (PostgreSQL 9.5+), stored by wal-e as `wal_005/<segment>.partial.lzo`. Replay
 * never asks for it by that name; PostgreSQL's documentation says to copy it under the segment's full
 * name when the WAL it holds is wanted, once partial-check.ts has checked it. Read here: its long page
 * header, the first page of every segment (XLogLongPageHeaderData).
 */

/** XLP_LONG_HEADER in xlp_info: the page is a segment's first, with the long header. */
const XLP_LONG_HEADER = 0x0002;
/** xlp_magic, xlp_info, xlp_tli, xlp_pageaddr, xlp_rem_len (+4 alignment), xlp_sysid, xlp_seg_size, xlp_xlog_blcksz. */
export const LONG_HEADER_BYTES = 40;

export interface LongPageHeader {
  magic: number;
  timeline: number;
  /** The WAL address of the page: the segment's start. */
  pageAddress: bigint;
  systemIdentifier: string;
  segmentBytes: number;
  blockBytes: number;
}

/** The long page header at the start of a segment (little-endian, as on the x86 cells), or why it is none. */
export function readLongPageHeader(head: Buffer): LongPageHeader | { unreadable: string } {
  if (head.length < LONG_HEADER_BYTES) return { unreadable: `it holds ${head.length} bytes, less than a WAL page header` };
  const info = head.readUInt16LE(2);
  if ((info & XLP_LONG_HEADER) === 0) return { unreadable: 'its first page has no long page header: it is not the start of a WAL segment' };
  return {
    magic: head.readUInt16LE(0),
    timeline: head.readUInt32LE(4),
    pageAddress: head.readBigUInt64LE(8),
    systemIdentifier: head.readBigUInt64LE(24).toString(),
    segmentBytes: head.readUInt32LE(32),
    blockBytes: head.readUInt32LE(36),
  };
}
