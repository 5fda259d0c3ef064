/**
 * The S3 flags shared by `drill` and `wal-fetch`. Credentials always come from
 * the SDK's environment chain (AWS_ACCESS_KEY_ID..., profile, instance role),
 * never from flags, so they stay out of process listings and restore_command.
 */
import type { Options } from 'yargs';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { secrets, invocation } from '../../core/invocation.js';
import { stripUrlCredentials } from '../../core/url-secrets.js';
import type { ObjectStore } from '../../core/seams.js';
import type { S3Flags } from '../../core/s3-flags.js';

export type { S3Flags };

export const s3FlagOptions = {
  's3-endpoint': {
    type: 'string',
    describe: "S3-compatible endpoint URL, or wal-e's form of it (WALE_S3_ENDPOINT: https+path://HOST:PORT) (default: AWS for the region)",
  },
  's3-region': { type: 'string', describe: 'bucket region (default: AWS_REGION / AWS_DEFAULT_REGION / us-east-1)' },
  's3-path-style': { type: 'boolean', describe: 'path-style bucket addressing (most S3-compatible servers need it)' },
  's3-timeout': {
    type: 'string',
    describe:
      'how long S3 may take to connect, to answer a request, or between stretches of an answer, before the attempt fails (default 20s; 5 attempts, under 2 minutes in all)',
  },
} as const satisfies Record<string, Options>;

/** The wal-e archive a command reads: `drill <url>`, `wal-fetch --from`. */
export const walePrefixOption = {
  type: 'string',
  demandOption: true,
  describe: 'the wal-e prefix, s3://BUCKET/backups/GUID/wal/',
} as const satisfies Options;

/** `--s3-timeout` in milliseconds (undefined: the store's default); not a positive duration is refused. */
export function s3TimeoutMs(given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  const ms = parseDuration(given, '--s3-timeout');
  if (ms < 1) throw new UsageError(`--s3-timeout "${given}" must be longer than nothing`, { hint: 'e.g. --s3-timeout 2m' });
  return ms;
}

/** `--scenario` of the commands that only read an archive (drill, archive inspect, archive mistakes): practice on a scenario's. */
export const scenarioStoreOption = {
  scenario: {
    type: 'string',
    describe:
      "read the archive from a rehearsal scenario's simulated S3 instead of S3 (a scenario folder, or a bundled scenario's name, such as bad-write): practice, nothing written",
  },
} as const satisfies Record<string, Options>;

/**
 * A store from the flags; registers secret-looking environment values, and any credentials written
 * into --s3-endpoint, for redaction first. The S3 client loads here, not when the command line is read.
 * With `scenario`, the scenario's simulated S3 as it starts (what is written to it is forgotten).
 */
export async function storeFromFlags(flags: S3Flags & { scenario?: string }): Promise<ObjectStore> {
  if (flags.scenario !== undefined) {
    if (flags.s3Endpoint !== undefined)
      throw new UsageError("--scenario reads the scenario's simulated S3: give it or --s3-endpoint, not both");
    const { scenarioDir } = await import('../bundled-scenarios.js');
    const { loadScenario } = await import('../../rehearsal/scenario.js');
    const { MemoryStore } = await import('../../rehearsal/memory-store.js');
    const { initial } = loadScenario(scenarioDir(flags.scenario));
    return new MemoryStore(
      structuredClone(initial.s3),
      () => undefined,
      () => new Date(initial.clock),
    );
  }
  secrets().registerEnv(invocation().env);
  const { createS3Store } = await import('../../systems/s3/s3.js');
  return createS3Store({
    endpoint: flags.s3Endpoint === undefined ? undefined : stripUrlCredentials('--s3-endpoint', flags.s3Endpoint, secrets()).url,
    region: flags.s3Region,
    forcePathStyle: flags.s3PathStyle,
    timeoutMs: s3TimeoutMs(flags.s3Timeout),
    redactor: secrets(),
  });
}
