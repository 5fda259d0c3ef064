/**
 * Wraps the S3 seam so every write is shown as the API call a live run makes.
 * Reads pass through. Object-level calls are shown but not journaled one by one
 * (an archive has tens of thousands of objects); the actions journal a summary
 * and the plan they worked from.
 */
import { someOf } from '../../core/screen-lines.js';
import type { ObjectInfo, ObjectRef, ObjectStore } from '../../core/seams.js';
import type { StepScreen } from '../operator/step-screen.js';
import { failpoint } from '../../core/failpoints.js';

const url = (r: ObjectRef): string => `s3://${r.bucket}/${r.key}`;

export function recordingStore(inner: ObjectStore, reporter: Pick<StepScreen, 'api'>): ObjectStore {
  return {
    where: inner.where,
    list: (bucket, prefix, opts) => inner.list(bucket, prefix, opts),
    head: (ref) => inner.head(ref),
    get: (ref) => inner.get(ref),
    getStream: (ref) => inner.getStream(ref),
    async put(ref, body): Promise<ObjectInfo> {
      reporter.api(`PutObject ${url(ref)}`);
      return inner.put(ref, body);
    },
    async copy(from, to, size): Promise<ObjectInfo> {
      failpoint('s3.copy');
      reporter.api(`CopyObject ${url(from)} → ${url(to)} (${size} bytes)`);
      return inner.copy(from, to, size);
    },
    async deleteMany(bucket, keys): Promise<void> {
      failpoint('s3.delete');
      reporter.api(`DeleteObjects s3://${bucket}/ ${keys.length} key(s): ${someOf(keys, 3)}`);
      return inner.deleteMany(bucket, keys);
    },
  };
}
