/**
 * The WAL after the archive's last full segment: `.partial` segments read and checked
 * (wale/partial-segment.ts), and the archive's last moment. Object names are the tenant's data: a
 * partial is known only by the segment name its key matched, never followed anywhere else.
 */
import type { ObjectInfo } from '../core/seams.js';
import { someOf } from '../core/display.js';
import { quote } from '../core/command-line.js';
import { checkPartial, LONG_HEADER_BYTES, readLongPageHeader } from '../wale/partial-segment.js';
import type { LastMoment, PartialSegmentInfo } from '../wale/report.js';
import { formatSegment, parseSegment, SEGMENT_BYTES, segmentAtIndex, type Segment } from '../wale/segments.js';
import type { Findings, SortedKeys } from './inspect-layout.js';
import type { WalInventory } from './inspect-replay.js';

/** Reads an object's body, decompressed, or says why it cannot. */
type ReadBody = (key: string) => Promise<{ body: Buffer } | { error: string }>;

interface PartialInput {
  prefix: string;
  keys: SortedKeys;
  wal: WalInventory;
  pgVersion: string | null;
  sysid: string | null;
  read: ReadBody;
}

function lastFullOf(wal: WalInventory, tli: number, pgVersion: string | null): Segment | null {
  const list = wal.present.get(tli);
  return list?.length ? segmentAtIndex(tli, list[list.length - 1]!, pgVersion) : null;
}

/** The system identifier a partial must carry: sysids/sysid, else the header of the archive's last full segment of its timeline. */
async function referenceSysid(
  input: PartialInput,
  lastFull: Segment | null,
): Promise<{ systemIdentifier: string | null; systemIdentifierFrom: string }> {
  if (input.sysid && /^\d+$/.test(input.sysid)) return { systemIdentifier: input.sysid, systemIdentifierFrom: 'sysids/sysid' };
  const full = lastFull && input.keys.segments.get(formatSegment(lastFull));
  if (!full) return { systemIdentifier: null, systemIdentifierFrom: 'no sysids/sysid and no full segment of its timeline' };
  const from = full.key.slice(input.prefix.length);
  const r = await input.read(full.key);
  if ('error' in r) return { systemIdentifier: null, systemIdentifierFrom: `no sysids/sysid, and ${from} cannot be read: ${r.error}` };
  const header = readLongPageHeader(r.body.subarray(0, LONG_HEADER_BYTES));
  return 'unreadable' in header
    ? { systemIdentifier: null, systemIdentifierFrom: `no sysids/sysid, and ${from}: ${header.unreadable}` }
    : { systemIdentifier: header.systemIdentifier, systemIdentifierFrom: `the header of ${from}` };
}

async function checkOne(input: PartialInput, segment: string, object: ObjectInfo): Promise<PartialSegmentInfo> {
  const s = parseSegment(segment);
  const lastFull = lastFullOf(input.wal, s.tli, input.pgVersion);
  const fullKey = `${input.prefix}wal_005/${segment}.lzo`;
  const info = {
    key: object.key,
    segment,
    timeline: s.tli,
    size: object.size,
    lastModified: object.lastModified.toISOString(),
    fullKey,
    supersededBy: null,
  };
  const newer = [...input.wal.timelines].filter((t) => t > s.tli).sort((a, b) => a - b)[0];
  if (newer !== undefined) {
    // What a failover leaves: the promoted node archived the rest of the old timeline's segment and went on on a new one.
    return {
      ...info,
      supersededBy: newer,
      usable: false,
      why: `the archive goes on on timeline ${newer}, which replay follows: this is what a promotion left of timeline ${s.tli}`,
      systemIdentifier: null,
    };
  }
  const r = await input.read(object.key);
  if ('error' in r) return { ...info, usable: false, why: `it cannot be read: ${r.error}`, systemIdentifier: null };
  const head = r.body.subarray(0, LONG_HEADER_BYTES);
  const read = readLongPageHeader(head);
  const systemIdentifier = 'unreadable' in read ? null : read.systemIdentifier;
  if (r.body.length !== SEGMENT_BYTES)
    return {
      ...info,
      systemIdentifier,
      usable: false,
      why: `it holds ${r.body.length} bytes decompressed; PostgreSQL archives a .partial as a whole segment of ${SEGMENT_BYTES}, so this one was cut short`,
    };
  const verdict = checkPartial({
    segment: s,
    head,
    ...(await referenceSysid(input, lastFull)),
    lastFull,
    fullArchived: input.keys.segments.has(segment),
    pgMajor: input.pgVersion,
  });
  return verdict.usable
    ? { ...info, systemIdentifier, usable: true, why: null }
    : { ...info, systemIdentifier, usable: false, why: verdict.why };
}

/** Every `.partial` in the archive, checked; what was found goes in the findings. */
export async function checkPartials(input: PartialInput, found: Findings): Promise<PartialSegmentInfo[]> {
  const partials = await Promise.all(input.keys.partials.map((p) => checkOne(input, p.segment, p.object)));
  const rel = (key: string): string => key.slice(input.prefix.length);
  const usable = partials.filter((p) => p.usable);
  const refused = partials.filter((p) => !p.usable && p.supersededBy === null);
  for (const p of usable) {
    found.warnings.push(
      `${rel(p.key)} holds WAL written after the archive's last full segment of timeline ${p.timeline}: a restore by wal-e never reads it. ` +
        `It checks out (this database's system identifier, the segment after the archive's end); a drill or restore-to-time serves it as ${p.segment}, and the live recovery copies it to that full name under the new instance's prefix (see "WAL after the archive's end" in the README).`,
    );
  }
  if (refused.length > 0) {
    found.warnings.push(
      `${refused.length} .partial segment(s) refused, never served: ${someOf(
        refused.map((p) => `${JSON.stringify(rel(p.key))} (${p.why})`),
        5,
      )}.`,
    );
  }
  return partials;
}

/** When the archive's newest WAL was written: a usable partial's LastModified or the newest full segment's, whichever is later. */
export function lastMoment(prefix: string, keys: SortedKeys, wal: WalInventory, partials: PartialSegmentInfo[]): LastMoment | null {
  const last = wal.last && keys.segments.get(wal.last.name);
  const candidates = [
    ...partials.filter((p) => p.usable).map((p) => ({ at: p.lastModified, key: p.key })),
    ...(last ? [{ at: last.lastModified.toISOString(), key: last.key }] : []),
  ];
  const newest = candidates.reduce<(typeof candidates)[number] | null>((best, c) => (best === null || c.at > best.at ? c : best), null);
  return newest && { at: newest.at, source: `S3 LastModified of ${newest.key.slice(prefix.length)}` };
}

/**
 * The reviewed commands that make wal-e's own wal-fetch read a checked partial: a look that the full
 * segment's key is still free (it must print nothing), then a copy of the partial to it. Printed for
 * the operator when the recovery could not serve it, never run here.
 */
export function partialCopyCommands(from: string, to: string): string[] {
  return [quote(['aws', 's3', 'ls', to]), quote(['aws', 's3', 'cp', from, to])];
}
