/**
 * Does the target hold exactly the source archive? By relative key, size and ETag (see compare.ts).
 * A full segment the target holds beside it is no extra object when it is the copy of the source's
 * `.partial` of that segment, which the recovery serves to wal-e under its full name (serve-partials.ts).
 */
import type { ObjectInfo, ObjectStore } from '../core/seams.js';
import { sameObject } from './compare.js';
import { listArchive } from './listing.js';
import { archiveLocation, type S3Location } from './location.js';
import { mapLimit } from '../core/concurrency.js';

export interface VerifyResult {
  ok: boolean;
  /** Relative keys in the source and not at the target. */
  missing: string[];
  /** Relative keys at both whose size or content differ. */
  different: string[];
  /** Relative keys at the target and not in the source. */
  extra: string[];
  /** Relative keys at the target and not in the source that are copies of its `.partial` of that segment. */
  servedPartials: string[];
}

const FULL_SEGMENT = /^(wal_005\/[0-9A-F]{24})\.lzo$/;

/** The source's `.partial` an extra target key is the full name of, if any. */
function partialOf(rel: string, from: Map<string, ObjectInfo>): ObjectInfo | undefined {
  const m = FULL_SEGMENT.exec(rel);
  return m ? from.get(`${m[1]}.partial.lzo`) : undefined;
}

/** `sourceListing`: the source as the caller already listed it (the source is never written). */
export async function verifyCopy(
  store: ObjectStore,
  source: S3Location,
  target: S3Location,
  sourceListing?: Map<string, ObjectInfo>,
): Promise<VerifyResult> {
  const src = archiveLocation(source, 'source');
  const tgt = archiveLocation(target, 'target');
  const [from, to] = await Promise.all([sourceListing ?? listArchive(store, src), listArchive(store, tgt)]);
  const missing: string[] = [];
  const different: string[] = [];
  const both: string[] = [];
  for (const rel of from.keys()) (to.has(rel) ? both : missing).push(rel);
  const beside = [...to.keys()].filter((rel) => !from.has(rel));
  const served = await Promise.all(
    beside.map(async (rel) => {
      const partial = partialOf(rel, from);
      return !!partial && (await sameObject(store, { bucket: src.bucket, info: partial }, { bucket: tgt.bucket, info: to.get(rel)! }));
    }),
  );
  const extra = beside.filter((_, i) => !served[i]);
  const servedPartials = beside.filter((_, i) => served[i]);
  await mapLimit(
    both,
    8,
    async (rel) => {
      const same = await sameObject(store, { bucket: src.bucket, info: from.get(rel)! }, { bucket: tgt.bucket, info: to.get(rel)! });
      if (!same) different.push(rel);
    },
    { stopOnFailure: true },
  );
  different.sort();
  return { ok: missing.length + different.length + extra.length === 0, missing, different, extra, servedPartials };
}
