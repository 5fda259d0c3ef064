/**
 * Where an archive lives, and the prefix arithmetic the swap relies on.
 * Prefixes are handled as folders: `backups/G/wal` and `backups/G/wal/` are the
 * same archive, and neither includes `backups/G/wal.quarantine-…/`.
 */
import { UsageError } from '../core/errors.js';
import { parseS3Url, urlOf, type S3Location } from '../core/s3-url.js';
import { utcStamp } from '../core/utc-stamp.js';
import { GUID_PATTERN } from '../core/guid.js';

export { urlOf, utcStamp, type S3Location };

/** A location whose prefix is a non-empty folder ending in `/`. */
export function archiveLocation(loc: S3Location, role: string): S3Location {
  const prefix = loc.prefix.replace(/^\/+/, '');
  if (!loc.bucket || /[/\s]/.test(loc.bucket)) {
    throw new UsageError(`the ${role} bucket "${loc.bucket}" is not a bucket name`, {
      hint: 'give the archive as s3://BUCKET/backups/GUID/wal/',
    });
  }
  if (prefix.replace(/\/+$/, '') === '') {
    throw new UsageError(`the ${role} s3://${loc.bucket}/ has no prefix: refusing to treat a whole bucket as one archive`, {
      hint: 'give the archive as s3://BUCKET/backups/GUID/wal/',
    });
  }
  return { bucket: loc.bucket, prefix: prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Parse an s3:// archive URL, refusing a bare bucket. */
export function parseS3Location(url: string, role = 'archive'): S3Location {
  return archiveLocation(parseS3Url(url), role);
}

/** True when one location contains the other (same bucket, one prefix starts with the other). */
export function overlaps(a: S3Location, b: S3Location): boolean {
  return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

const STAMP_PATTERN = /^\d{8}T\d{6}Z$/;

/** `<prefix without trailing slash>.quarantine-<stamp>/`, beside the archive it keeps. */
export function quarantineLocation(target: S3Location, stamp: string): S3Location {
  if (!STAMP_PATTERN.test(stamp)) {
    throw new UsageError(`quarantine stamp "${stamp}" is not a UTC timestamp like 20260317T180520Z`);
  }
  return { bucket: target.bucket, prefix: `${target.prefix.replace(/\/+$/, '')}.quarantine-${stamp}/` };
}

export function relativeKey(loc: S3Location, key: string): string {
  return key.slice(loc.prefix.length);
}

/**
 * Where Dingo archives an instance: its container runs wal-e with
 * WALE_S3_PREFIX="s3://${WAL_S3_BUCKET}/backups/${PATRONI_SCOPE}/wal/".
 */
export function dingoArchiveUrl(bucket: string, guid: string): string {
  return urlOf(archiveLocation({ bucket, prefix: `backups/${guid}/wal/` }, 'archive'));
}

const DINGO_ARCHIVE = new RegExp(`(?:^|/)(${GUID_PATTERN})/wal/$`);

/** The instance GUID a prefix is Dingo's archive of (`…/backups/GUID/wal/`), or null. */
export function instanceOfArchive(prefix: string): string | null {
  return DINGO_ARCHIVE.exec(prefix)?.[1] ?? null;
}

/**
 * Why URL is not the archive Dingo keeps for GUID in BUCKET (the platform's WAL bucket, from a
 * trusted source), or null when it is.
 */
export function pinnedArchiveProblem(url: string, bucket: string, guid: string): string | null {
  const loc = parseS3Location(url);
  const wanted = parseS3Location(dingoArchiveUrl(bucket, guid));
  if (loc.bucket !== wanted.bucket) return `it is in bucket ${loc.bucket}, not the platform's WAL bucket ${wanted.bucket}`;
  if (loc.prefix !== wanted.prefix) return `its prefix ${loc.prefix} is not ${wanted.prefix}, where Dingo archives instance ${guid}`;
  return null;
}
