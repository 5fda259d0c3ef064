import { dingoArchiveUrl } from '../../archive/location.js';
import { StepFailed } from '../../core/errors.js';
import type { StepContext } from '../../engine/executor/index.js';

/**
 * The wal-e lines of the instance name several archives, and nothing says which the platform wrote: wal-e
 * writes to one (WAL_S3_BUCKET and PATRONI_SCOPE of the container), but the tenant's PostgreSQL writes
 * lines after the same prefix, and a platform whose WAL bucket changed names two.
 */
function severalArchives(guid: string, prefixes: string[]): StepFailed {
  return new StepFailed(`the wal-e lines of instance ${guid} name ${String(prefixes.length)} archives: ${prefixes.join(', ')}`, {
    hint: "the evidence above shows the line that named each. Give the platform's WAL bucket with --wal-bucket (WAL_S3_BUCKET of its Dingo containers: docker inspect one on a cell), then resume: the archive is then Dingo's prefix in it, proven before anything is changed",
  });
}

/** The archive of an instance whose wal-e lines name several: Dingo's prefix in the WAL bucket --wal-bucket gives, else refused. */
function archiveOfSeveral(ctx: StepContext, guid: string, prefixes: string[]): string {
  const bucket = ctx.settings.walBucket;
  if (!bucket) throw severalArchives(guid, prefixes);
  const url = dingoArchiveUrl(bucket, guid);
  ctx.evidence(
    `the wal-e lines of ${guid} name ${String(prefixes.length)} archives (${prefixes.join(', ')}); Dingo archives it at ${url} in the platform's WAL bucket (--wal-bucket), which the next steps prove`,
  );
  return url;
}

/**
 * Where the instance archives, as its wal-e lines say (logs/instance-state.ts `archivesNamed`): the one archive
 * they name; when they name several, Dingo's prefix in the WAL bucket --wal-bucket gives (`pinned`), else
 * refused; null when they name none.
 */
export function archiveFromLogs(
  ctx: StepContext,
  guid: string,
  named: { archivePrefix: string | null; archivePrefixes: string[] },
): { url: string; pinned: boolean } | null {
  if (named.archivePrefix) return { url: named.archivePrefix, pinned: false };
  if (named.archivePrefixes.length > 1) return { url: archiveOfSeveral(ctx, guid, named.archivePrefixes), pinned: true };
  return null;
}
