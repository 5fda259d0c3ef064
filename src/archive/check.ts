/**
 * The checks every swap passes before it writes, shared by `archive swap` and the runbook's
 * archive steps: where the source, the target and the quarantine are, and that they stay apart.
 * `preflightSwap` adds what only S3 can tell: that the credentials list and read both archives.
 */
import { DingoError, StepFailed, UsageError } from '../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { assertSeparate } from './copy.js';
import { archiveLocation, overlaps, parseS3Location, quarantineLocation, urlOf, type S3Location } from './location.js';

export interface SwapLocations {
  source: S3Location;
  target: S3Location;
  /** Where the target's objects go; null when the caller did not name it. */
  quarantine: S3Location | null;
}

function locate(loc: S3Location | string, role: string): S3Location {
  return typeof loc === 'string' ? parseS3Location(loc, role) : archiveLocation(loc, role);
}

/**
 * Refuses, writing nothing: a bucket-wide prefix, a target inside the source or the source inside
 * the target, and a quarantine outside the target's bucket or overlapping either archive.
 */
export function checkSwap(from: S3Location | string, to: S3Location | string, quarantine?: S3Location | string | null): SwapLocations {
  const source = locate(from, 'source');
  const target = locate(to, 'target');
  assertSeparate(source, target);
  if (quarantine === undefined || quarantine === null) return { source, target, quarantine: null };
  const q = checkQuarantine(target, quarantine);
  assertSeparate(source, q, 'quarantine');
  return { source, target, quarantine: q };
}

/** A swap's three locations, checked apart, the quarantine the one of the plan's stamp. */
export function swapLocations(
  from: S3Location | string,
  to: S3Location | string,
  stamp: string,
): SwapLocations & { quarantine: S3Location } {
  const { source, target } = checkSwap(from, to);
  const located = checkSwap(source, target, quarantineLocation(target, stamp));
  return { source, target, quarantine: located.quarantine! };
}

/** The part of `checkSwap` that needs no source: the quarantine sits in the target's bucket, apart from it. */
function checkQuarantine(to: S3Location | string, quarantine: S3Location | string): S3Location {
  const target = locate(to, 'target');
  const q = locate(quarantine, 'quarantine');
  if (q.bucket !== target.bucket) {
    throw new UsageError(
      `the quarantine ${urlOf(q)} is not in the target's bucket ${target.bucket}: the target's objects are moved aside within their bucket`,
      {
        hint: `the quarantine of ${urlOf(target)} is s3://${target.bucket}/${target.prefix.replace(/\/$/, '')}.quarantine-<UTC stamp>/`,
      },
    );
  }
  if (overlaps(q, target)) {
    throw new UsageError(
      `the quarantine ${urlOf(q)} overlaps the target ${urlOf(target)}: moving the target aside would move it into itself`,
      {
        hint: 'the quarantine is a sibling of the target prefix, <target without its trailing slash>.quarantine-<UTC stamp>/',
      },
    );
  }
  return q;
}

export interface SwapPreflight extends SwapLocations {
  quarantine: S3Location;
  /** What was checked, one line each, for the run's evidence. */
  facts: string[];
}

const SMALL_OBJECT = 1 << 20;
const LISTED = 1000;

async function firstObjects(store: ObjectStore, loc: S3Location): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const o of store.list(loc.bucket, loc.prefix)) {
    objects.push(o);
    if (objects.length >= LISTED) break;
  }
  return objects;
}

function failed(what: string, err: unknown, hint: string): StepFailed {
  const message = err instanceof Error ? err.message : String(err);
  const own = err instanceof DingoError && err.hint ? `${err.hint} ` : '';
  return new StepFailed(`${what}: ${message}`, { hint: `${own}${hint}; nothing has been changed`, cause: err });
}

/** Reads one small object whole (or, when all are large, the metadata of one). */
async function readOne(store: ObjectStore, loc: S3Location, objects: ObjectInfo[]): Promise<string> {
  const small = objects.find((o) => o.size <= SMALL_OBJECT);
  if (small) {
    await store.get({ bucket: loc.bucket, key: small.key });
    return `read ${small.key.slice(loc.prefix.length)} (${small.size} bytes)`;
  }
  const first = objects[0]!;
  if (!(await store.head({ bucket: loc.bucket, key: first.key }))) {
    throw new StepFailed(`${urlOf(loc)}${first.key.slice(loc.prefix.length)} is listed but its metadata cannot be read`);
  }
  return `read the metadata of ${first.key.slice(loc.prefix.length)}`;
}

/**
 * Before the first destructive step of a swap: the locations pass `checkSwap` (with the quarantine
 * a swap started now would use), the credentials list the source and read one of its objects, and
 * list the target and read one of its objects when it has any. Writes nothing. Throws UsageError
 * for overlapping prefixes and StepFailed for what S3 refused.
 */
export async function preflightSwap(
  store: ObjectStore,
  from: S3Location | string,
  to: S3Location | string,
  /** The quarantine stamp a swap would use: the caller's clock's now, in UTC (utcStamp). */
  stamp: string,
): Promise<SwapPreflight> {
  const { source, target } = checkSwap(from, to);
  const { quarantine } = checkSwap(source, target, quarantineLocation(target, stamp));
  const facts = [`source ${urlOf(source)}, target ${urlOf(target)} and quarantine ${urlOf(quarantine!)} do not overlap`];
  const sourceObjects = await listOrFail(store, source, 'source');
  if (sourceObjects.length === 0) {
    throw new StepFailed(`the source archive ${urlOf(source)} holds no objects at ${store.where}`, {
      hint: 'check the GUID and the prefix (wal-e archives are s3://BUCKET/backups/<GUID>/wal/); nothing has been changed',
    });
  }
  facts.push(await readFirstOrFail(store, source, sourceObjects, 'source'));
  const targetObjects = await listOrFail(store, target, 'target');
  facts.push(
    targetObjects.length === 0 ? 'target: empty, nothing to move aside' : await readFirstOrFail(store, target, targetObjects, 'target'),
  );
  return { source, target, quarantine: quarantine!, facts };
}

const CREDENTIALS =
  'check the S3 credentials (the AWS credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the bucket policy';

/** The first objects of an archive, or a failure naming the archive and the permission to check. */
async function listOrFail(store: ObjectStore, at: S3Location, what: 'source' | 'target'): Promise<ObjectInfo[]> {
  try {
    return await firstObjects(store, at);
  } catch (err) {
    throw failed(`cannot list the ${what} archive ${urlOf(at)} at ${store.where}`, err, `${CREDENTIALS} (s3:ListBucket on ${at.bucket})`);
  }
}

/** "WHAT: listed N object(s), ..." once one of them was read, or a failure naming the permission to check. */
async function readFirstOrFail(store: ObjectStore, at: S3Location, objects: ObjectInfo[], what: 'source' | 'target'): Promise<string> {
  try {
    return `${what}: listed${objects.length >= LISTED ? ` ${LISTED}+` : ` ${objects.length}`} object(s), ${await readOne(store, at, objects)}`;
  } catch (err) {
    throw failed(`cannot read the ${what} archive ${urlOf(at)}`, err, `${CREDENTIALS} (s3:GetObject on ${at.bucket})`);
  }
}
