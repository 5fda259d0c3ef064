/**
 * A checked `.partial` served to the container's own wal-e: after the old archive is copied under
 * the new instance's prefix, each `.partial` the inspection found usable is copied server-side from
 * the old archive to its segment's full key under the NEW prefix (`wal_005/<segment>.lzo`), which
 * wal-fetch asks for by name. The old archive, the user's backup, is only read. A full segment is
 * never overwritten: a key already holding this partial's copy (an attempt cut short before the
 * journal said so) is taken as served, any other object there stops the step. A partial the
 * inspection refused (another database's, not an lzop stream, stored without `.lzo`, …) is never
 * copied: it is returned with why, for the caller to warn of. The partials are checked here, reading
 * them, unless the caller hands over the checks its inspection of the same listing made (`archive
 * swap`); either way each is HEADed before its copy, and one changed since its check is not served.
 */
import { StepFailed } from '../core/errors.js';
import type { ObjectInfo, ObjectRef, ObjectStore } from '../core/seams.js';
import type { Redactor } from '../core/redact.js';
import { quote } from '../core/command-line.js';
import { classifyKey } from '../wale/keys.js';
import type { ArchiveReport, PartialSegmentInfo } from '../wale/report.js';
import { formatSegment, parseSegment, segmentAtIndex, segmentIndex } from '../wale/segments.js';
import { compareMetadata, sameObject, type Located } from './compare.js';
import { inspectListed } from './inspect.js';
import { partialCopyCommands, refusedPartials, type RefusedPartial } from './partials.js';
import type { S3Location } from './location.js';

export interface ServedPartial {
  /** The checked partial in the old archive (s3:// URL). */
  from: string;
  /** Its segment's full key under the new prefix (s3:// URL). */
  to: string;
  segment: string;
  /** What the check found: the system identifier, the timeline, the full segment it follows. */
  checks: string;
  /** The partial's LastModified: the newest moment of WAL the restore now reads. */
  lastModified: string;
  /** false: the copy was found in place, made by an attempt the journal does not know finished. */
  copied: boolean;
}

export interface PartialsServed {
  served: ServedPartial[];
  /** Keys in the old archive's bucket. */
  refused: RefusedPartial[];
}

/** What an inspection of a source listing found of its partials: each checked, and the PostgreSQL version. */
export type CheckedPartials = Pick<ArchiveReport, 'partials' | 'pgVersion'>;

/**
 * Where the partials' checks come from: `checked`, an inspection of the same source listing, so no
 * body is read again; else the serve step inspects the listing itself, reading them (`redactor`: for
 * the read errors it reports).
 */
type PartialChecks = { checked: CheckedPartials } | { redactor: Redactor };

/** What the partial's checks found, in words. */
function checksOf(p: PartialSegmentInfo, pgVersion: string | null): string {
  const s = parseSegment(p.segment);
  const before = formatSegment(segmentAtIndex(s.tli, segmentIndex(s, pgVersion) - 1, pgVersion));
  return `system identifier ${p.systemIdentifier ?? '?'} as the archive's, timeline ${p.timeline} as its name's, the segment after the archive's last full one ${before}`;
}

/** The partials of `source` as the inspection checked them, read from its listing unless handed over; none read when it has no `.partial`. */
async function checkedPartials(
  store: ObjectStore,
  source: S3Location,
  listing: Map<string, ObjectInfo>,
  checks: PartialChecks,
): Promise<CheckedPartials> {
  if ('checked' in checks) return checks.checked;
  if (![...listing.keys()].some((rel) => classifyKey(rel).kind === 'wal-partial')) return { partials: [], pgVersion: null };
  const report = await inspectListed(store, source, [...listing.values()], { redactor: checks.redactor });
  return { partials: report.partials, pgVersion: report.pgVersion };
}

/** The checked partial's copy at `to`: made now (true), or found made before (false); anything else there stops it. */
async function serveOne(store: ObjectStore, checked: Located, to: ObjectRef): Promise<boolean> {
  const from = { bucket: checked.bucket, key: checked.info.key };
  const original = `s3://${from.bucket}/${from.key}`;
  const url = `s3://${to.bucket}/${to.key}`;
  const there = await store.head(to);
  if (there === null) {
    const now = await store.head(from);
    if (now === null || compareMetadata(checked.info, now) !== true)
      throw new StepFailed(
        `${original} changed after it was checked (${now ? `now ${now.size} bytes, ETag ${now.etag}` : 'it is gone'}): it was not served`,
        {
          hint: 'something writes to the old archive, which only the deleted instance did: find out what, then resume to check it again',
        },
      );
    await store.copy(from, to, checked.info.size);
    return true;
  }
  if (await sameObject(store, checked, { bucket: to.bucket, info: there })) return false;
  const [look, copy] = partialCopyCommands(original, url);
  throw new StepFailed(
    `${url} already holds an object (${there.size} bytes, ETag ${there.etag}, written ${there.lastModified.toISOString()}) that is not a copy of the checked partial ${original} (${checked.info.size} bytes, ETag ${checked.info.etag}): a full segment is never overwritten, so the partial was not served. ` +
      `Once that object is moved aside, resume, or serve the partial by hand: ${look} must print nothing, then ${copy}`,
    {
      hint: `the container is stopped, so something else wrote it: find out what before moving it aside (${quote(['aws', 's3', 'mv', url, `${url}.aside`])}); nothing was deleted`,
    },
  );
}

/**
 * Serves each usable partial of `source` (as `listing` lists it) under `target`, in key order; what was
 * served, and what was refused (a partial a failover left behind is neither: replay follows the newer timeline).
 */
export async function servePartials(
  store: ObjectStore,
  source: S3Location,
  target: S3Location,
  listing: Map<string, ObjectInfo>,
  checks: PartialChecks,
): Promise<PartialsServed> {
  const { partials, pgVersion } = await checkedPartials(store, source, listing, checks);
  const served: ServedPartial[] = [];
  // Only a `.partial.lzo` is ever usable: wal-fetch reads the segment's `.lzo` key as lzop.
  for (const p of partials.filter((x) => x.usable)) {
    // The listing's entry is what the check read: serveOne serves it only while the source still holds it.
    const checked = listing.get(p.key.slice(source.prefix.length));
    if (!checked) throw new Error(`${p.key} was checked, but the source listing does not hold it: the checks are of another listing`);
    const to = { bucket: target.bucket, key: `${target.prefix}wal_005/${p.segment}.lzo` };
    const copied = await serveOne(store, { bucket: source.bucket, info: checked }, to);
    served.push({
      from: `s3://${source.bucket}/${p.key}`,
      to: `s3://${to.bucket}/${to.key}`,
      segment: p.segment,
      checks: checksOf(p, pgVersion),
      lastModified: p.lastModified,
      copied,
    });
  }
  return { served, refused: refusedPartials(partials) };
}

/** A served partial, in words: what was checked, and where the container's wal-e now fetches it. */
export function servedLine(s: ServedPartial): string {
  return `${s.from} checked (${s.checks}): ${s.copied ? 'copied server-side to' : 'its copy found already at'} ${s.to}, where the container's wal-e fetches ${s.segment}`;
}

/** A refused partial of the archive in `bucket`, in words: the restore ends before the WAL it may hold. */
export function refusedLine(bucket: string, r: RefusedPartial): string {
  return `s3://${bucket}/${r.key} was not served, so the restore ends before any WAL it holds: ${r.why}`;
}
