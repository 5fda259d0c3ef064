/**
 * Where a new instance's container archives (its own environment), and which database a node
 * serves. A restore is done only when the node serves the restored
 * database: its system identifier (pg_controldata) is the one the deleted instance's archive
 * records in sysids/sysid, which the run writes into etcd's /initialize before the container restores.
 */
import { quote } from '../../core/command-line.js';
import type { StepContext } from '../../engine/executor/index.js';
import type { CellDocker, ContainerInfo } from '../../adapters/docker.js';
import { controlDataOf, type ControlData } from '../../adapters/pg-replication.js';
import { dingoArchiveUrl, parseS3Location } from '../../archive/location.js';
import { StepFailed, messageOf } from '../../core/errors.js';

/** Where the archive at URL records its system identifier. */
export function sysidUrl(archiveUrl: string): string {
  const loc = parseS3Location(archiveUrl);
  return `s3://${loc.bucket}/${loc.prefix}sysids/sysid`;
}

/**
 * The system identifier the archive at URL records (its sysids/sysid). `without` says what cannot be
 * done when it cannot be read.
 */
export async function archivedSysid(
  ctx: StepContext,
  archiveUrl: string,
  without = 'which database the restore brought back cannot be proven',
): Promise<string> {
  const loc = parseS3Location(archiveUrl);
  const url = sysidUrl(archiveUrl);
  let text: string;
  try {
    text = (await ctx.s3.get({ bucket: loc.bucket, key: `${loc.prefix}sysids/sysid` })).toString('utf8').trim();
  } catch (err) {
    throw new StepFailed(`${url} cannot be read (${messageOf(err)}), so ${without}`, {
      hint: 'check read access to it with the S3 credentials of this run, then resume',
    });
  }
  if (!/^\d+$/.test(text)) {
    throw new StepFailed(`${url} holds "${text.slice(0, 40)}", not a database system identifier`, {
      hint: "write the system identifier of the archive's base backup (pg_controldata) there, then resume",
    });
  }
  return text;
}

/**
 * The system identifier CONTAINER serves (from CONTROL when its pg_controldata was read already),
 * checked against the archive's: when they differ the step fails (resumably) saying what is served instead.
 */
export async function requireServesArchive(
  ctx: StepContext,
  docker: CellDocker,
  container: string,
  archiveUrl: string,
  control?: ControlData,
): Promise<string> {
  const expected = await archivedSysid(ctx, archiveUrl);
  const served = (control ?? (await controlDataOf(docker, container))).sysid;
  if (served !== expected) {
    throw new StepFailed(
      `${container} serves the database with system identifier ${served}, not the restored one: the archive ${archiveUrl} holds ${expected}`,
      {
        hint: `the container did not restore the archive (it may have initialised a new database: read \`${quote(['docker', 'logs', container])}\` for wal_e backup-fetch); nothing after the restore was done. Fix the cause (the archive at the container's prefix, etcd's /initialize, an empty /data), then resume`,
      },
    );
  }
  ctx.evidence(`${container} serves system identifier ${served}, the restored archive's (${sysidUrl(archiveUrl)})`);
  return served;
}

/**
 * Whether the database of system identifier SYSID was made by initdb between STARTED (a container's
 * State.StartedAt) and NOW (a day's skew between the cell's clock and this one allowed): initdb writes
 * its time into the identifier's upper 32 bits (xlog.c BootStrapXLOG: seconds << 32, then microseconds
 * << 12 and the pid's low 12 bits). False for anything that is not one.
 */
export function initializedSince(sysid: string, started: string, now: Date): boolean {
  const startedSeconds = Math.floor(Date.parse(started) / 1000);
  if (!/^\d{1,20}$/.test(sysid) || Number.isNaN(startedSeconds)) return false;
  const made = Number(BigInt(sysid) >> 32n);
  return made >= startedSeconds && made <= now.getTime() / 1000 + 86_400;
}

/**
 * Where the container archives, from its own environment (never from logs): wal-e's
 * WALE_S3_PREFIX is s3://WAL_S3_BUCKET/backups/PATRONI_SCOPE/wal/.
 */
export function containerArchiveUrl(info: ContainerInfo, container: string): string {
  const bucket = info.env.WAL_S3_BUCKET ?? '';
  const scope = info.env.PATRONI_SCOPE ?? '';
  if (!bucket || /[/\s]/.test(bucket) || !scope) {
    throw new StepFailed(
      `container ${container} has ${bucket ? `WAL_S3_BUCKET=${bucket}` : 'no WAL_S3_BUCKET'} and ${scope ? `PATRONI_SCOPE=${scope}` : 'no PATRONI_SCOPE'} in its environment: where it archives is not known`,
      { hint: 'this does not look like a Dingo patroni container; check `docker inspect` on the cell; nothing was changed' },
    );
  }
  return dingoArchiveUrl(bucket, scope);
}
