/** S3: credentials from the AWS chain, the endpoint answering TCP, and the buckets the run reads first listable. */
import { secrets } from '../../core/invocation.js';
import type { Settings } from '../../engine/runbook/index.js';
import { parseClusterdataUrl } from '../../logs/clusterdata.js';
import { s3Reach } from '../../systems/s3/index.js';
import { notChecked, ok, type Check } from './check.js';
import { withDeadline } from './deadline.js';
import { CONNECT_MS, LIST_MS, type DoctorSubject } from './subject.js';

/** The buckets a run reads before it finds any in the logs: --wal-bucket and --clusterdata's. */
function knownBuckets(settings: Settings): string[] {
  const clusterdata = settings.clusterdata ? parseClusterdataUrl(settings.clusterdata)?.bucket : undefined;
  return [...new Set([settings.walBucket, clusterdata].filter((b): b is string => !!b))];
}

export function s3Checks(s: DoctorSubject): Check[] {
  const buckets: Check = {
    name: 'S3 buckets',
    fix: 'check the bucket (--wal-bucket, --clusterdata) and that these credentials may list it (s3:ListBucket)',
    run: async (say) => {
      const names = knownBuckets(s.settings);
      if (names.length === 0) return notChecked('no bucket given (--wal-bucket, --clusterdata): each is read when the run finds it');
      for (const bucket of names) {
        await withDeadline(`a listing of s3://${bucket} (${s.platform.s3.where})`, LIST_MS, say, async () => {
          for await (const first of s.platform.s3.list(bucket, '')) return first;
          return undefined;
        });
      }
      return ok(`${names.map((b) => `s3://${b}`).join(', ')} listed`);
    },
  };
  if (s.mode === 'rehearsal') return [buckets];
  const o = s.live?.s3 ?? {};
  const reach = s3Reach(
    { endpoint: o.endpoint, region: o.region, forcePathStyle: o.pathStyle, timeoutMs: CONNECT_MS, maxAttempts: 1, redactor: secrets() },
    s.env,
  );
  return [
    {
      name: 'S3 credentials',
      fix: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the service container's: docker inspect shows them), or AWS_PROFILE",
      run: async (say) => {
        await withDeadline('the AWS credential chain', CONNECT_MS, say, () => reach.credentials());
        return ok('resolved from the AWS credential chain');
      },
    },
    {
      name: 'S3 endpoint',
      fix: 'check --s3-endpoint (else AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL), --s3-region, and https_proxy/no_proxy',
      run: async (say) => {
        const reached = await withDeadline(`a TCP connection to ${reach.where}`, CONNECT_MS, say, () => reach.connect(CONNECT_MS));
        return ok(`${reach.where}: ${reached} answers`);
      },
    },
    buckets,
  ];
}
