/**
 * The WAL after the archive's last full segment: `.partial` segments read and checked
 * (wale/partial-segment.ts), and the archive's last moment. Object names are the tenant's data: a
 * partial is known only by the segment name its key matched, never followed anywhere else.
 */
import type { ObjectInfo } from '../core/seams.js';
import { someOf } from '../core/display.js';
import { quote } from '../core/command-line.js';
import { isOpenPgpMessage } from '../wale/encryption.js';
import { isLzop, lzopDecompress, lzopHeaderProblem } from '../wale/lzop.js';
import { checkPartial } from '../wale/partial-check.js';
import { LONG_HEADER_BYTES, readLongPageHeader } from '../wale/partial-segment.js';
import type { LastMoment, PartialSegmentInfo } from '../wale/report.js';
import { formatSegment, parseSegment, SEGMENT_BYTES, segmentAtIndex, type Segment } from '../wale/segments.js';
import type { Findings, SortedKeys } from './inspect-layout.js';
import type { WalInventory } from './wal-inventory.js';

/** Reads an object's body, or says why it cannot. */
export type ReadBody = (key: string) => Promise<{ body: Buffer } | { error: string }>;

interface PartialInput {
  bucket: string;
  prefix: string;
  keys: SortedKeys;
  wal: WalInventory;
  pgVersion: string | null;
  sysid: string | null;
  /** The body as stored. */
  readRaw: ReadBody;
  /** The body, lzop-decompressed when it is lzop. */
  readText: ReadBody;
}

type Found = { segment: string; lzo: boolean; object: ObjectInfo };
type Verdict = { usable: true } | { usable: false; why: string };

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
  const r = await input.readText(full.key);
  if ('error' in r) return { systemIdentifier: null, systemIdentifierFrom: `no sysids/sysid, and ${from} cannot be read: ${r.error}` };
  const header = readLongPageHeader(r.body.subarray(0, LONG_HEADER_BYTES));
  return 'unreadable' in header
    ? { systemIdentifier: null, systemIdentifierFrom: `no sysids/sysid, and ${from}: ${header.unreadable}` }
    : { systemIdentifier: header.systemIdentifier, systemIdentifierFrom: `the header of ${from}` };
}

/** A WAL segment's first page at the start of `body`: a long page header giving PostgreSQL's segment size. */
function startsWithWal(body: Buffer): boolean {
  const header = readLongPageHeader(body.subarray(0, LONG_HEADER_BYTES));
  return !('unreadable' in header) && header.segmentBytes === SEGMENT_BYTES;
}

/** Why a `.partial.lzo` is no lzop stream wal-fetch could read (its magic, then its header), or null when it is one. */
function notLzopWhy(body: Buffer): string | null {
  const problem = lzopHeaderProblem(body);
  if (problem === null) return null;
  // An uncompressed 9.5 segment starts as an OpenPGP session key packet would (0x87): its page header tells it apart.
  if (!isLzop(body) && startsWithWal(body))
    return `it is not an lzop stream (${problem}): it holds a WAL segment stored uncompressed, which wal-fetch could not decompress, so it is never served; stored as lzop (\`lzop -c\`) it would be checked`;
  if (isOpenPgpMessage(body))
    return "it is encrypted with GPG (wal-e's WALE_GPG_KEY_ID), which this check does not decrypt, so it is never served";
  return `it is not an lzop stream (${problem}): wal-fetch could not decompress it, so it is never served; \`lzop -t\` on a downloaded copy says what it holds`;
}

/** The WAL a stored partial holds, read as wal-fetch would: a `.partial.lzo` only when it is an lzop stream, its header first. */
function walOf(found: Found, body: Buffer): { wal: Buffer } | { why: string } {
  if (found.lzo) {
    const why = notLzopWhy(body);
    if (why) return { why };
  } else if (!isLzop(body)) return { wal: body };
  try {
    return { wal: lzopDecompress(body, 'its lzop stream') };
  } catch (err) {
    return { why: (err as Error).message };
  }
}

/** Whether the WAL of a partial can stand in for its segment. */
async function checkWal(input: PartialInput, found: Found, wal: Buffer): Promise<Verdict> {
  if (wal.length !== SEGMENT_BYTES)
    return {
      usable: false,
      why: `it holds ${wal.length} bytes decompressed; PostgreSQL archives a .partial as a whole segment of ${SEGMENT_BYTES}, so this one was cut short`,
    };
  const s = parseSegment(found.segment);
  const lastFull = lastFullOf(input.wal, s.tli, input.pgVersion);
  const verdict = checkPartial({
    segment: s,
    head: wal.subarray(0, LONG_HEADER_BYTES),
    ...(await referenceSysid(input, lastFull)),
    lastFull,
    fullArchived: input.keys.segments.has(found.segment),
    pgMajor: input.pgVersion,
  });
  return verdict.usable ? { usable: true } : { usable: false, why: verdict.why };
}

/**
 * Why a partial stored without `.lzo` is never served (wal-fetch asks for `<segment>.lzo` and reads it as
 * lzop), and what would make it served: the same WAL stored beside it as `.partial.lzo`, checked then.
 */
function uncompressedWhy(input: PartialInput, found: Found, body: Buffer, verdict: Verdict): string {
  const url = `s3://${input.bucket}/${found.object.key}`;
  const compressed = `${found.segment}.partial.lzo`;
  const head =
    "it is stored without .lzo: wal-e's wal-fetch reads WAL only as lzop-compressed .lzo objects, so it is never served and counts as no archived WAL";
  if (input.keys.partials.some((p) => p.segment === found.segment && p.lzo))
    return `${head}; wal_005/${compressed} beside it is the one checked`;
  if (!verdict.usable) return `${head}, and compressed it would be refused too: ${verdict.why}`;
  const store = isLzop(body)
    ? quote(['aws', 's3', 'cp', url, `${url}.lzo`])
    : [quote(['aws', 's3', 'cp', url, '-']), quote(['lzop', '-c']), quote(['aws', 's3', 'cp', '-', `${url}.lzo`])].join(' | ');
  return `${head}. Its WAL checks out: stored as wal_005/${compressed} beside it (${store}), it is checked and served when this is run again`;
}

async function checkOne(input: PartialInput, found: Found): Promise<PartialSegmentInfo> {
  const { segment, object } = found;
  const s = parseSegment(segment);
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
  const refused = (why: string, systemIdentifier: string | null = null): PartialSegmentInfo => ({
    ...info,
    systemIdentifier,
    usable: false,
    why,
  });
  const r = await input.readRaw(object.key);
  if ('error' in r) return refused(`it cannot be read: ${r.error}`);
  const read = walOf(found, r.body);
  if ('why' in read) return refused(read.why);
  const header = readLongPageHeader(read.wal.subarray(0, LONG_HEADER_BYTES));
  const systemIdentifier = 'unreadable' in header ? null : header.systemIdentifier;
  const verdict = await checkWal(input, found, read.wal);
  // Only what wal-e archived as `.partial.lzo` can stand at `<segment>.lzo`, which wal-fetch decompresses.
  if (!found.lzo) return refused(uncompressedWhy(input, found, r.body, verdict), systemIdentifier);
  return verdict.usable ? { ...info, systemIdentifier, usable: true, why: null } : refused(verdict.why, systemIdentifier);
}

/** A `.partial` its checks refused: never served, named with why (the drill's report, the swap's and the copy step's warnings). */
export interface RefusedPartial {
  /** Its full key in the archive's bucket. */
  key: string;
  why: string;
}

/** The partials refused (one a failover left behind is not: replay follows the newer timeline). */
export function refusedPartials(partials: PartialSegmentInfo[]): RefusedPartial[] {
  return partials.filter((p) => !p.usable && p.supersededBy === null).map((p) => ({ key: p.key, why: p.why ?? 'refused' }));
}

/** Every `.partial` in the archive, checked; what was found goes in the findings. */
export async function checkPartials(input: PartialInput, found: Findings): Promise<PartialSegmentInfo[]> {
  const partials = await Promise.all(input.keys.partials.map((p) => checkOne(input, p)));
  const rel = (key: string): string => key.slice(input.prefix.length);
  const usable = partials.filter((p) => p.usable);
  const refused = refusedPartials(partials);
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
