/**
 * The lines a Dingo container writes while it starts and restores, as its processes print them and
 * the image's scripts prefix them (`${PATRONI_SCOPE:0:6}-component> `, run.sh and start_pg.sh):
 *
 * - restore_leader_if_missing.sh's own sentences (IMG postgres/restore_leader_if_missing.sh);
 * - Patroni v0.90's log, `%(asctime)s %(levelname)s: %(message)s`, with ha.py's `bootstrap` and
 *   `_run_cycle` messages;
 * - wal-e 0.9's, `%(name)-12s %(levelname)-8s MSG: …` then DETAIL, HINT and STRUCTURED lines
 *   indented eight spaces (wal_e/log_help.py), from `backup-fetch` (s3_worker `fetch_partition`:
 *   "beginning partition download") and `wal-fetch` (operator/backup.py `wal_restore`: "begin wal
 *   restore" / "complete wal restore"; s3_util: "could no longer locate object while performing wal
 *   restore" at the archive's end). PostgreSQL's restore_command runs under Patroni, so wal-fetch's
 *   lines come out under `patroni> ` too.
 */

/** `2016-03-18 01:05:31,123`, Python logging's asctime. */
function asctime(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

/** wal-e's STRUCTURED time: `2016-03-17T02:11:48.811154-00`. */
function waleTime(at: Date): string {
  return `${at.toISOString().slice(0, 23)}000-00`;
}

export const patroniSays = (tag: string, at: Date, message: string, level = 'INFO'): string =>
  `${tag}-patroni> ${asctime(at)} ${level}: ${message}`;

export const restoreLeaderSays = (tag: string, sentence: string): string => `${tag}-restore_leader_if_missing> ${sentence}`;

/** restore_leader_if_missing.sh's sentences, exactly. */
export const LEADER_EXISTS = 'leader exists, no additional preparation required for container to join cluster';
export const PREPARING_RESTORE = 'preparing patroni to restore this container from wal-e backups';
export const NO_BACKUP = 'new cluster, no existing backup to restore';
export const LOCAL_DATABASE = 'local database exists; no additional preparation required to restart container';

/** wal-e's lines for one partition of backup-fetch. */
export function partitionLines(tag: string, at: Date, partKey: string): string[] {
  const part = partKey.slice(partKey.lastIndexOf('/') + 1);
  return [
    `${tag}-patroni> wal_e.worker.s3.s3_worker INFO     MSG: beginning partition download`,
    `${tag}-patroni>         DETAIL: The partition being downloaded is ${part}.`,
    `${tag}-patroni>         HINT: The absolute S3 key is ${partKey}.`,
    `${tag}-patroni>         STRUCTURED: time=${waleTime(at)} pid=143`,
  ];
}

/** wal-e's lines for one wal-fetch of `segment` from `prefix` (s3://bucket/…/wal/), found or not. */
export function walFetchLines(tag: string, at: Date, prefix: string, segment: string, found: boolean): string[] {
  const url = `${prefix}wal_005/${segment}.lzo`;
  const structured = (state: string): string =>
    `${tag}-patroni>         STRUCTURED: time=${waleTime(at)} pid=212 action=wal-fetch key=${url} prefix=${prefix.replace(/\/$/, '')} seg=${segment} state=${state}`;
  const begin = [`${tag}-patroni> wal_e.operator.backup INFO     MSG: begin wal restore`, structured('begin')];
  if (found) return [...begin, `${tag}-patroni> wal_e.operator.backup INFO     MSG: complete wal restore`, structured('complete')];
  return [
    ...begin,
    `${tag}-patroni> wal_e.blobstore.s3.s3_util WARNING  MSG: could no longer locate object while performing wal restore`,
    `${tag}-patroni>         DETAIL: The absolute URI that could not be located is ${url}.`,
    `${tag}-patroni>         HINT: This can be normal when Postgres is trying to detect what timelines are available during restoration.`,
    `${tag}-patroni>         STRUCTURED: time=${waleTime(at)} pid=212`,
    // wal_restore says it completed whatever do_lzop_get found (wal-e operator/backup.py).
    `${tag}-patroni> wal_e.operator.backup INFO     MSG: complete wal restore`,
    structured('complete'),
  ];
}
