/**
 * The restore drill: prove that a wal-e archive restores, the way Dingo's
 * containers would restore it (backup-fetch LATEST, then WAL replay through
 * restore_command), on a private throwaway PostgreSQL, and report what came back.
 */
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DingoError } from '../core/errors.js';
import type { ObjectStore } from '../core/seams.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import { inspectArchive } from '../archive/inspect.js';
import type { LostWal } from '../wale/report.js';
import { formatSegment, nextSegment, parseLsn, parseSegment, SEGMENT_BYTES, segmentIndex, segmentOfLsn } from '../wale/segments.js';
import { backupFinishedAt } from './backup-age.js';
import { downloadBaseBackup } from './base-backup.js';
import { formatDuration } from '../core/duration.js';
import { DrillFailed } from './exit-codes.js';
import { chooseLocalPg, majorNumber } from './local-pg.js';
import { freePort } from '../systems/ports.js';
import { postgresAccount, run, type RunAs } from '../systems/processes.js';
import { restoreCommandFor, shellQuote, writeRecoveryConfig } from './recovery-config.js';
import type { S3Flags } from '../core/s3-flags.js';
import { parseRecoveryLog, ScratchCluster } from './scratch-cluster.js';
import { walObjectKey } from './wal-fetch.js';

export interface DrillOptions {
  /** s3://BUCKET/PREFIX/ of the wal-e archive. */
  url: string;
  store: ObjectStore;
  /** Handed on to wal-fetch in restore_command (credentials travel in the environment). */
  s3Flags?: S3Flags;
  query?: string;
  expectRows?: number;
  maxAgeMs?: number;
  pgBin?: string;
  workdir?: string;
  keep?: boolean;
  deadlineMs?: number;
  dbUser?: string;
  dbName?: string;
  /** How to run this CLI (program and leading arguments); default: this very process's command. */
  selfCommand?: string[];
  concurrency?: number;
  /**
   * Fail (not restorable) when replay cannot reach the newest archived WAL (default true). False
   * restores up to the hole and reports the lost range in `replay.lost` and the warnings.
   */
  requireComplete?: boolean;
  signal?: AbortSignal;
  now?: () => Date;
  progress?: (message: string) => void;
}

export interface DrillReport {
  archive: string;
  backup: {
    name: string;
    finishedAt: string;
    finishedAtSource: 'backup label' | 'sentinel LastModified';
    ageMs: number;
    expandedSizeBytes: number;
    partitions: number;
  };
  postgres: { archiveMajor: string; localVersion: string; bin: string };
  restore: {
    durationMs: number;
    baseBackupMs: number;
    recoveryMs: number;
    bytesDownloaded: number;
    baseBackupBytes: number;
    walBytes: number;
    walFilesRestored: number;
  };
  replay: {
    lastLsn: string | null;
    lastSegment: string | null;
    lastTransactionAt: string | null;
    timeline: number | null;
    /** Archived WAL replay did not reach (only with requireComplete: false). */
    lost: LostWal | null;
  };
  query: { sql: string; rowCount: number; rows: string[][]; expectedRows: number | null };
  warnings: string[];
  /** The scratch folder, when kept with --keep. */
  workdir: string | null;
}

export const DEFAULT_QUERY = 'select datname from pg_database where not datistemplate order by datname';
const DEFAULT_DEADLINE_MS = 15 * 60_000;
const SAMPLE_ROWS = 20;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export function defaultSelfCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell how this CLI was started; pass the command explicitly');
  return [process.execPath, ...process.execArgv, script];
}

/** Any failure that is not already a drill outcome: S3 or the machine → "could not run". */
function asDrillFailure(err: unknown): unknown {
  if (err instanceof DrillFailed || (err instanceof DingoError && err.exitCode === 2)) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const hint = err instanceof DingoError ? err.hint : undefined;
  return new DrillFailed('could-not-run', err instanceof Error ? err.message : String(err), { hint, cause: err });
}

export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const started = Date.now();
  const deadline = started + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const now = opts.now ?? (() => new Date());
  const say = opts.progress ?? (() => undefined);
  const { bucket, prefix } = parseS3Url(opts.url);
  const archive = formatS3Url(bucket, prefix);
  const warnings: string[] = [];
  let workdir: string | null = null;
  let cluster: ScratchCluster | null = null;
  try {
    say(`inspecting ${archive}`);
    const report = await inspectArchive(opts.store, archive);
    warnings.push(...report.warnings);
    const latest = report.latest;
    if (!report.restorable || !latest) {
      throw new DrillFailed(
        'not-restorable',
        `${archive} is not restorable: ${report.problems.join('; ') || 'it has no complete base backup'}`,
        {
          hint: "List the prefix (aws s3 ls --recursive) to see what it holds; the archive is the instance's s3://BUCKET/backups/GUID/wal/ folder.",
        },
      );
    }
    const requireComplete = opts.requireComplete ?? true;
    if (report.lost && requireComplete) {
      throw new DrillFailed(
        'not-restorable',
        `${archive} is not restorable up to its newest WAL: WAL ${lostRange(report.lost)} cannot be replayed (${report.lost.from} is missing), so what was written after ${report.restorableTo} would be lost`,
        {
          hint: `Look for ${report.lost.from} in another copy of the archive before relying on it; a restore now stops at ${report.restorableTo}.`,
          lost: report.lost,
        },
      );
    }
    // Problems beyond restorability (e.g. a gap after the stop segment) mean data would be lost: say so.
    warnings.push(...report.problems);

    const finished = await backupFinishedAt(opts.store, bucket, prefix, latest);
    const ageMs = now().getTime() - finished.at.getTime();
    if (opts.maxAgeMs !== undefined && ageMs > opts.maxAgeMs) {
      throw new DrillFailed(
        'too-old',
        `the latest base backup ${latest.name} finished ${formatDuration(ageMs)} ago (${finished.at.toISOString()}, from its ${finished.source}), older than --max-age ${formatDuration(opts.maxAgeMs)}`,
        { hint: 'Base backups are not being taken: check the backup schedule of the service (wal-e backup-push) and its logs.' },
      );
    }

    const archiveMajor = report.pgVersion;
    if (!archiveMajor)
      throw new DrillFailed('not-restorable', `${latest.name} has no readable extended_version.txt, so its PostgreSQL version is unknown`);
    const pg = await chooseLocalPg(archiveMajor, opts.pgBin);
    const as = postgresAccount();

    workdir = await makeWorkdir(opts.workdir, as);
    const dataDir = join(workdir, 'data');
    const socketDir = join(workdir, 'sock');
    if (socketDir.length + '/.s.PGSQL.65535'.length > MAX_SOCKET_PATH) {
      throw new DrillFailed(
        'could-not-run',
        `the scratch folder ${workdir} is too deep for a Unix socket path (${MAX_SOCKET_PATH} characters at most)`,
        {
          hint: 'Point --workdir at a shorter path, e.g. /tmp or /var/tmp.',
        },
      );
    }

    const restoreCommand = restoreCommandFor(opts.selfCommand ?? defaultSelfCommand(), archive, opts.s3Flags ?? {});
    await checkRestoreCommand(restoreCommand, latest.startSegment, workdir, dataDir, as);

    say(`restoring ${latest.name} (${latest.partitions.length} partition(s))`);
    const base = await downloadBaseBackup({
      store: opts.store,
      bucket,
      partitions: latest.partitions,
      dataDir,
      as,
      concurrency: opts.concurrency,
      signal: opts.signal,
    });
    // wal-e leaves the WAL folder out of the base backup; PostgreSQL needs it to exist.
    const walDir = join(dataDir, majorNumber(pg.major) >= 10 ? 'pg_wal' : 'pg_xlog');
    await mkdir(walDir, { recursive: true, mode: 0o700 });
    if (as) await chown(walDir, as.uid, as.gid);
    await chmod(dataDir, 0o700);

    const port = await freePort();
    await writeRecoveryConfig({ dataDir, major: pg.major, restoreCommand, port, socketDir, as });
    const conn = { user: opts.dbUser ?? 'postgres', database: opts.dbName ?? 'postgres' };
    cluster = new ScratchCluster({ bin: pg.bin, dataDir, socketDir, port, logFile: join(workdir, 'postgresql.log'), as });
    say('replaying WAL');
    const recoveryStarted = Date.now();
    await cluster.start();
    await cluster.waitRecovered({ deadline, ...conn, signal: opts.signal });
    const recoveryMs = Date.now() - recoveryStarted;

    const replay = await replayFacts(cluster, pg.major, conn);
    const short = report.lost ? null : replayShortfall(replay, report.restorableTo, archiveMajor);
    if (short && requireComplete) {
      throw new DrillFailed(
        'not-restorable',
        `replay stopped at ${replay.lastLsn ?? replay.lastSegment ?? 'the start'}, but the archive's WAL goes on to ${short.to}: WAL ${lostRange(short)} was not replayed, so what was written after ${replay.lastLsn ?? 'that'} would be lost`,
        {
          hint: `${short.from} is damaged or could not be fetched: see the server log (kept with --keep) and check that segment in the archive.`,
          lost: short,
        },
      );
    }
    if (short) warnings.push(`replay stopped before the newest archived WAL: ${lostRange(short)} was not replayed.`);
    const sql = opts.query ?? DEFAULT_QUERY;
    let rows: string[][];
    try {
      rows = (await cluster.query(sql, conn)).rows;
    } catch (err) {
      throw new DrillFailed('query-failed', `the query failed on the restored database: ${(err as Error).message}`, {
        hint: `Check the SQL, or the user/database (${conn.user}/${conn.database}) with --db-user/--db-name.`,
      });
    }
    if (opts.expectRows !== undefined && rows.length !== opts.expectRows) {
      throw new DrillFailed(
        'query-failed',
        `the query returned ${rows.length} row(s), expected ${opts.expectRows}; replay reached ${replay.lastSegment ?? 'no archived segment'}${replay.lastTransactionAt ? ` (last transaction ${replay.lastTransactionAt})` : ''}${report.gaps.length ? `; WAL is missing from ${report.gaps[0]!.from}` : ''}`,
        { hint: 'Rows written after the last archived WAL are lost; a gap in wal_005/ stops replay early.' },
      );
    }
    const walBytes = await sizeOf(opts.store, bucket, prefix, replay.restoredFiles);
    return {
      archive,
      backup: {
        name: latest.name,
        finishedAt: finished.at.toISOString(),
        finishedAtSource: finished.source,
        ageMs,
        expandedSizeBytes: latest.expandedSizeBytes ?? 0,
        partitions: latest.partitions.length,
      },
      postgres: { archiveMajor, localVersion: pg.version, bin: pg.bin },
      restore: {
        durationMs: Date.now() - started,
        baseBackupMs: base.durationMs,
        recoveryMs,
        bytesDownloaded: base.compressedBytes + walBytes,
        baseBackupBytes: base.compressedBytes,
        walBytes,
        walFilesRestored: replay.restoredFiles.length,
      },
      replay: {
        lastLsn: replay.lastLsn,
        lastSegment: replay.lastSegment,
        lastTransactionAt: replay.lastTransactionAt,
        timeline: replay.timeline,
        lost: report.lost ?? short,
      },
      query: { sql, rowCount: rows.length, rows: rows.slice(0, SAMPLE_ROWS), expectedRows: opts.expectRows ?? null },
      warnings,
      workdir: opts.keep ? workdir : null,
    };
  } catch (err) {
    const failure = asDrillFailure(err);
    if (failure instanceof DrillFailed && workdir && opts.keep) failure.workdir = workdir;
    throw failure;
  } finally {
    if (cluster) await cluster.stop().catch(() => undefined);
    if (workdir && !opts.keep) await rm(workdir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function makeWorkdir(parent: string | undefined, as: RunAs | undefined): Promise<string> {
  const base = parent ?? tmpdir();
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'dingo-drill-'));
  for (const sub of ['', 'data', 'sock']) {
    const path = join(dir, sub);
    await mkdir(path, { recursive: true, mode: 0o700 });
    if (as) await chown(path, as.uid, as.gid);
  }
  if (as) {
    const probe = await run(['test', '-w', dir], { as });
    if (probe.code !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new DrillFailed('could-not-run', `the ${as.name} user cannot reach the scratch folder ${dir}`, {
        hint: `Point --workdir at a folder every user can traverse (e.g. /tmp or /var/tmp), since PostgreSQL runs as ${as.name}.`,
      });
    }
  }
  return dir;
}

/**
 * Run restore_command once for the backup's first segment, exactly as PostgreSQL
 * will (same user, shell and environment): if it cannot run, every WAL file would
 * look "missing" and the failure would masquerade as a broken archive.
 */
async function checkRestoreCommand(
  command: string,
  segment: string,
  workdir: string,
  dataDir: string,
  as: RunAs | undefined,
): Promise<void> {
  const probe = join(workdir, 'restore-command-check');
  const line = command.replaceAll('%f', segment).replaceAll('%p', shellQuote(probe));
  const r = await run(['/bin/sh', '-c', line], { as, cwd: dataDir });
  await rm(probe, { force: true });
  if (r.code !== 0) {
    throw new DrillFailed(
      'could-not-run',
      `restore_command could not fetch ${segment}${as ? ` as the ${as.name} user` : ''} (exit ${r.code})${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 500)}` : ''}`,
      {
        hint: `PostgreSQL runs it as: ${command}. Credentials must be in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), readable by ${as?.name ?? 'this user'}.`,
      },
    );
  }
}

interface ReplayFacts {
  lastLsn: string | null;
  lastSegment: string | null;
  lastTransactionAt: string | null;
  timeline: number | null;
  restoredFiles: string[];
}

async function replayFacts(cluster: ScratchCluster, major: string, conn: { user: string; database: string }): Promise<ReplayFacts> {
  // Both functions keep their last recovery values after promotion (10+ names; xlog before).
  const fns =
    majorNumber(major) >= 10
      ? ['pg_last_wal_replay_lsn()', 'pg_last_xact_replay_timestamp()']
      : ['pg_last_xlog_replay_location()', 'pg_last_xact_replay_timestamp()'];
  const row = (await cluster.query(`select ${fns.join(', ')}`, conn)).rows[0] ?? [];
  const log = parseRecoveryLog(await cluster.log());
  const segments = log.restoredFiles.filter((f) => /^[0-9A-F]{24}$/.test(f));
  return {
    lastLsn: row[0] || log.redoDoneAt,
    lastSegment: segments[segments.length - 1] ?? null,
    lastTransactionAt: row[1] || log.lastTransactionAt,
    timeline: log.newTimeline,
    restoredFiles: log.restoredFiles,
  };
}

function lostRange(l: LostWal): string {
  return l.from === l.to ? l.from : `${l.from} .. ${l.to}`;
}

/**
 * The archived WAL replay did not reach: from the first segment not replayed whole to `newest`
 * (the newest segment on the chain), or null when replay got there. The end of the last record
 * replayed tells where replay stopped; PostgreSQL may fetch a damaged segment, or fetch the
 * last good one again, so the restored file names alone do not.
 */
export function replayShortfall(
  replay: { lastLsn: string | null; lastSegment: string | null },
  newest: string | null,
  pgMajor: string | null,
): LostWal | null {
  if (!newest) return null;
  const end = parseSegment(newest);
  const lsn = replay.lastLsn && /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(replay.lastLsn) ? parseLsn(replay.lastLsn) : 0n;
  let reachedIndex: number;
  let next: string;
  if (lsn > 0n) {
    const reached = segmentOfLsn(lsn - 1n, end.tli);
    reachedIndex = segmentIndex(reached, pgMajor);
    next = formatSegment(lsn % BigInt(SEGMENT_BYTES) === 0n ? nextSegment(reached, pgMajor) : reached);
  } else if (replay.lastSegment) {
    const reached = { ...parseSegment(replay.lastSegment), tli: end.tli };
    reachedIndex = segmentIndex(reached, pgMajor);
    next = formatSegment(nextSegment(reached, pgMajor));
  } else {
    return null;
  }
  return reachedIndex >= segmentIndex(end, pgMajor) ? null : { from: next, to: newest };
}

async function sizeOf(store: ObjectStore, bucket: string, prefix: string, names: string[]): Promise<number> {
  let total = 0;
  const queue = [...new Set(names)];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      total += (await store.head({ bucket, key: walObjectKey(prefix, name) }).catch(() => null))?.size ?? 0;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return total;
}
