/**
 * What an ObjectStore (seams.ts) throws for an object that is not there: S3's answer, whose code is
 * `NotFound` (HEAD) or `NoSuchKey` (GET), or a 404 that is not a missing bucket. The live store
 * passes S3's errors on as they came; a simulated one throws the same shape.
 */
import { numberAt, recordAt, stringAt } from './json.js';

/** The S3 error code of an SDK error ("NoSuchKey", "AccessDenied"...), or "". */
export function errorCode(err: unknown): string {
  return stringAt(err, 'Code') ?? stringAt(err, 'name') ?? '';
}

/** The HTTP status of an SDK error's answer, when there was one. */
export function httpStatus(err: unknown): number | undefined {
  return numberAt(recordAt(err, '$metadata'), 'httpStatusCode');
}

export function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NotFound' || code === 'NoSuchKey' || (httpStatus(err) === 404 && code !== 'NoSuchBucket');
}
