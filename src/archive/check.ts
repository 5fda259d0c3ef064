/**
 * The checks every swap passes before it writes, shared by `archive swap` and the runbook's
 * archive steps: where the source, the target and the quarantine are, and that they stay apart.
 * `preflightSwap` adds what only S3 can tell: that the credentials list and read both archives.
 */
import { DingoError, StepFailed, UsageError } from '../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { assertSeparate } from './copy.js';
import { archiveLocation, overlaps, parseS3Location, quarantineLocation, urlOf, utcStamp, type S3Location } from './location.js';

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
export function checkQuarantine(to: S3Location | string, quarantine: S3Location | string): S3Location {
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
  opts: { stamp?: string; now?: () => Date } = {},
): Promise<SwapPreflight> {
  const { source, target } = checkSwap(from, to);
  const stamp = opts.stamp ?? utcStamp((opts.now ?? (() => new Date()))());
  const { quarantine } = checkSwap(source, target, quarantineLocation(target, stamp));
  const facts = [`source ${urlOf(source)}, target ${urlOf(target)} and quarantine ${urlOf(quarantine!)} do not overlap`];
  const credentials =
    'check the S3 credentials (the AWS credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the bucket policy';

  let sourceObjects: ObjectInfo[];
  try {
    sourceObjects = await firstObjects(store, source);
  } catch (err) {
    throw failed(
      `cannot list the source archive ${urlOf(source)} at ${store.where}`,
      err,
      `${credentials} (s3:ListBucket on ${source.bucket})`,
    );
  }
  if (sourceObjects.length === 0) {
    throw new StepFailed(`the source archive ${urlOf(source)} holds no objects at ${store.where}`, {
      hint: 'check the GUID and the prefix (wal-e archives are s3://BUCKET/backups/<GUID>/wal/); nothing has been changed',
    });
  }
  try {
    facts.push(
      `source: listed${sourceObjects.length >= LISTED ? ` ${LISTED}+` : ` ${sourceObjects.length}`} object(s), ${await readOne(store, source, sourceObjects)}`,
    );
  } catch (err) {
    throw failed(`cannot read the source archive ${urlOf(source)}`, err, `${credentials} (s3:GetObject on ${source.bucket})`);
  }

  let targetObjects: ObjectInfo[];
  try {
    targetObjects = await firstObjects(store, target);
  } catch (err) {
    throw failed(
      `cannot list the target archive ${urlOf(target)} at ${store.where}`,
      err,
      `${credentials} (s3:ListBucket on ${target.bucket})`,
    );
  }
  if (targetObjects.length === 0) facts.push('target: empty, nothing to move aside');
  else {
    try {
      facts.push(
        `target: listed${targetObjects.length >= LISTED ? ` ${LISTED}+` : ` ${targetObjects.length}`} object(s), ${await readOne(store, target, targetObjects)}`,
      );
    } catch (err) {
      throw failed(`cannot read the target archive ${urlOf(target)}`, err, `${credentials} (s3:GetObject on ${target.bucket})`);
    }
  }
  return { source, target, quarantine: quarantine!, facts };
}
