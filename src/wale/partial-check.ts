/**
 * Whether a `.partial` WAL segment may stand in for its segment when the WAL it holds is wanted
 * (copied under the segment's full name, as PostgreSQL's documentation says): its long page header
 * (partial-segment.ts) must name the segment's timeline, start address and the archive's system
 * identifier, and the segment must follow the archive's last full segment of its timeline.
 */
import { readLongPageHeader, type LongPageHeader } from './partial-segment.js';
import { formatSegment, nextSegment, SEGMENT_BYTES, segmentIndex, type Segment } from './segments.js';

/** The WAL address a segment starts at. */
function segmentStart(s: Segment): bigint {
  return (BigInt(s.log) << 32n) | BigInt(s.seg * SEGMENT_BYTES);
}

export interface PartialFacts {
  segment: Segment;
  /** The decompressed object's first bytes (at least its first page header). */
  head: Buffer;
  /** The archive's system identifier (sysids/sysid, else a full segment's header); null when neither could be read. */
  systemIdentifier: string | null;
  /** Where the identifier was read. */
  systemIdentifierFrom: string;
  /** The newest full segment archived on the partial's timeline, null when none is. */
  lastFull: Segment | null;
  /** The full segment of the same name is archived too. */
  fullArchived: boolean;
  pgMajor: string | null;
}

export type PartialVerdict = { usable: true; header: LongPageHeader } | { usable: false; why: string; header: LongPageHeader | null };

/** Whether a `.partial` may stand in for its segment: its header, system identifier and place after the archive's end. */
export function checkPartial(f: PartialFacts): PartialVerdict {
  const name = formatSegment(f.segment);
  const header = readLongPageHeader(f.head);
  if ('unreadable' in header) return { usable: false, why: header.unreadable, header: null };
  const refuse = (why: string): PartialVerdict => ({ usable: false, why, header });
  if (header.timeline !== f.segment.tli)
    return refuse(`its pages are of timeline ${header.timeline}, its name says timeline ${f.segment.tli}`);
  if (header.pageAddress !== segmentStart(f.segment))
    return refuse(`its first page is at WAL address ${header.pageAddress.toString(16).toUpperCase()}, not at the start of ${name}`);
  if (header.segmentBytes !== SEGMENT_BYTES)
    return refuse(`its header gives segments of ${header.segmentBytes} bytes; Dingo's WAL segments are ${SEGMENT_BYTES}`);
  if (f.systemIdentifier === null)
    return refuse(
      `the archive's system identifier cannot be read (${f.systemIdentifierFrom}), so nothing shows the partial is of this database`,
    );
  if (header.systemIdentifier !== f.systemIdentifier)
    return refuse(
      `its system identifier is ${header.systemIdentifier}, the archive's is ${f.systemIdentifier} (${f.systemIdentifierFrom}): it was written by another database`,
    );
  if (f.fullArchived) return refuse(`the full segment ${name} is archived: replay reads that one`);
  if (f.lastFull === null) return refuse(`the archive holds no full segment of timeline ${f.segment.tli}, which it would continue`);
  const expected = nextSegment(f.lastFull, f.pgMajor);
  if (segmentIndex(expected, f.pgMajor) !== segmentIndex(f.segment, f.pgMajor))
    return refuse(
      `it is not the segment after the archive's last full segment of timeline ${f.segment.tli} (${formatSegment(f.lastFull)}), which is ${formatSegment(expected)}`,
    );
  return { usable: true, header };
}
