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
 *   restore" / "complete wal restore", or "promoted prefetched wal segment" for one its
 *   `wal-prefetch` brought; s3_util: "could no longer locate object while performing wal restore"
 *   at the archive's end). PostgreSQL's restore_command runs under Patroni, so wal-fetch's
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

/** wal-e's record of one event: its MSG line, then DETAIL, HINT and STRUCTURED (fields sorted by name) indented eight spaces (log_help.py). */
function waleRecord(
  tag: string,
  at: Date,
  pid: number,
  where: string,
  level: 'INFO' | 'WARNING',
  msg: string,
  fields: [string, string][],
  detail?: string,
  hint?: string,
): string[] {
  const structured = [...fields]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([f, v]) => ` ${f}=${v}`)
    .join('');
  return [
    `${tag}-patroni> ${where.padEnd(12)} ${level.padEnd(8)} MSG: ${msg}`,
    ...(detail ? [`${tag}-patroni>         DETAIL: ${detail}`] : []),
    ...(hint ? [`${tag}-patroni>         HINT: ${hint}`] : []),
    `${tag}-patroni>         STRUCTURED: time=${waleTime(at)} pid=${String(pid)}${structured}`,
  ];
}

/** A wal-e STRUCTURED line's fields for `segment` of the archive at `prefix` (s3://bucket/…/wal/), with its state when it has one. */
function segmentFields(action: 'wal-fetch' | 'wal-prefetch', prefix: string, segment: string, state?: string): [string, string][] {
  return [
    ['action', action],
    ['key', `${prefix}wal_005/${segment}.lzo`],
    ['prefix', prefix.replace(/\/$/, '')],
    ['seg', segment],
    ...(state === undefined ? [] : [['state', state] as [string, string]]),
  ];
}

/** One download of `segment`, wal-fetch's in-band one or a wal-prefetch process's: begin, the miss when it is not there, complete. */
function walDownload(
  tag: string,
  at: Date,
  prefix: string,
  segment: string,
  found: boolean,
  action: 'wal-fetch' | 'wal-prefetch',
): string[] {
  const url = `${prefix}wal_005/${segment}.lzo`;
  const pid = action === 'wal-fetch' ? 212 : 213;
  const miss = found
    ? []
    : waleRecord(
        tag,
        at,
        pid,
        'wal_e.blobstore.s3.s3_util',
        'WARNING',
        'could no longer locate object while performing wal restore',
        [],
        `The absolute URI that could not be located is ${url}.`,
        'This can be normal when Postgres is trying to detect what timelines are available during restoration.',
      );
  return [
    ...waleRecord(tag, at, pid, 'wal_e.operator.backup', 'INFO', 'begin wal restore', segmentFields(action, prefix, segment, 'begin')),
    ...miss,
    // wal_restore and wal_prefetch say they completed whatever do_lzop_get found (operator/backup.py).
    ...waleRecord(
      tag,
      at,
      pid,
      'wal_e.operator.backup',
      'INFO',
      'complete wal restore',
      segmentFields(action, prefix, segment, 'complete'),
    ),
  ];
}

/**
 * wal-e's lines while PostgreSQL's restore_command (`wal-fetch "%f" "%p" -p 1`, IMG run.sh: a
 * prefetch of one) brings `segments` one after the other, then asks for `missing`, the archive's end,
 * and `beyond` after it is prefetched. Each wal-fetch first starts a wal-prefetch process for the next
 * segment, then hands over the segment the one before prefetched ("promoted prefetched wal segment",
 * its STRUCTURED line without state; operator/backup.py wal_restore): only the first one is
 * downloaded in-band. `missing` misses in its prefetch and again in-band.
 */
export function walFetchRunLines(tag: string, at: Date, prefix: string, segments: string[], missing: string, beyond: string): string[] {
  const lines: string[] = [];
  segments.forEach((segment, i) => {
    const next = segments[i + 1];
    lines.push(...walDownload(tag, at, prefix, next ?? missing, next !== undefined, 'wal-prefetch'));
    lines.push(
      ...(i === 0
        ? walDownload(tag, at, prefix, segment, true, 'wal-fetch')
        : waleRecord(
            tag,
            at,
            212,
            'wal_e.operator.backup',
            'INFO',
            'promoted prefetched wal segment',
            segmentFields('wal-fetch', prefix, segment),
          )),
    );
  });
  lines.push(...walDownload(tag, at, prefix, beyond, false, 'wal-prefetch'));
  lines.push(...walDownload(tag, at, prefix, missing, false, 'wal-fetch'));
  return lines;
}
