/**
 * The S3 flags shared by `drill` and `wal-fetch`. Credentials always come from
 * the SDK's environment chain (AWS_ACCESS_KEY_ID..., profile, instance role),
 * never from flags, so they stay out of process listings and restore_command.
 */
import type { Options } from 'yargs';
import { secrets } from '../core/redact.js';
import { stripUrlCredentials } from '../core/url-secrets.js';
import type { ObjectStore } from '../core/seams.js';
import type { S3Flags } from '../core/s3-flags.js';

export type { S3Flags };

export const s3FlagOptions = {
  's3-endpoint': { type: 'string', describe: 'S3-compatible endpoint URL (default: AWS for the region)' },
  's3-region': { type: 'string', describe: 'bucket region (default: AWS_REGION / AWS_DEFAULT_REGION / us-east-1)' },
  's3-path-style': { type: 'boolean', describe: 'path-style bucket addressing (most S3-compatible servers need it)' },
} as const satisfies Record<string, Options>;

/** The wal-e archive a command reads: `drill <url>`, `wal-fetch --from`. */
export const walePrefixOption = {
  type: 'string',
  demandOption: true,
  describe: 'the wal-e prefix, s3://BUCKET/backups/GUID/wal/',
} as const satisfies Options;

/**
 * A store from the flags; registers secret-looking environment values, and any credentials written
 * into --s3-endpoint, for redaction first. The S3 client loads here, not when the command line is read.
 */
export async function storeFromFlags(flags: S3Flags): Promise<ObjectStore> {
  secrets.registerEnv(process.env);
  const { createS3Store } = await import('../systems/s3/s3.js');
  return createS3Store({
    endpoint: flags.s3Endpoint === undefined ? undefined : stripUrlCredentials('--s3-endpoint', flags.s3Endpoint).url,
    region: flags.s3Region,
    forcePathStyle: flags.s3PathStyle,
  });
}
