/**
 * The restore drill: prove that a wal-e archive restores, the way Dingo's
 * containers would restore it (backup-fetch LATEST, then WAL replay through
 * restore_command), on a private throwaway PostgreSQL, and report what came back.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import type { S3Flags } from '../core/s3-flags.js';
import type { BaseBackupInfo } from '../wale/report.js';
import { freePort } from '../systems/ports.js';
import { localProcesses } from '../systems/processes.js';
import { archiveMajor, checkAge, checkRestorable } from './archive-checks.js';
import { downloadBaseBackup, type BaseBackupStats } from './base-backup.js';
import type { DrillReport } from './drill-report.js';
import { DrillFailed } from './exit-codes.js';
import { asDrillFailure } from './failures.js';
import { chooseLocalPg, type LocalPg } from './local-pg.js';
import { restoreCommandFor, writeRecoveryConfig } from './recovery-config.js';
import { archivedWalBytes, replayFacts, replayShortfall, type ReplayFacts } from './replay.js';
import { checkReplayReached, queryRestored } from './restored-checks.js';
import { checkRestoreCommand } from './restore-command-check.js';
import { ScratchCluster } from './scratch-cluster.js';
import { completeDataDir, makeWorkdir, workdirPaths, type Workdir } from './workdir.js';

export type { DrillReport };
export { replayShortfall };

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
  /** The programs the drill runs here: pg_ctl, psql, lzop, tar (default: directly on this machine). */
  processes?: LocalProcesses;
}

export const DEFAULT_QUERY = 'select datname from pg_database where not datistemplate order by datname';
const DEFAULT_DEADLINE_MS = 15 * 60_000;
const SAMPLE_ROWS = 20;

export function defaultSelfCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell how this CLI was started; pass the command explicitly');
  return [process.execPath, ...process.execArgv, script];
}

/** One drill under way: its settings, and what must be cleaned up however it ends. */
interface Drill {
  opts: DrillOptions;
  processes: LocalProcesses;
  say: (message: string) => void;
  bucket: string;
  prefix: string;
  archive: string;
  started: number;
  warnings: string[];
  workdir: string | null;
  cluster: ScratchCluster | null;
}

export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const { bucket, prefix } = parseS3Url(opts.url);
  const drill: Drill = {
    opts,
    processes: opts.processes ?? localProcesses,
    say: opts.progress ?? (() => undefined),
    bucket,
    prefix,
    archive: formatS3Url(bucket, prefix),
    started: Date.now(),
    warnings: [],
    workdir: null,
    cluster: null,
  };
  try {
    return await restoreAndReport(drill);
  } catch (err) {
    const failure = asDrillFailure(err);
    if (failure instanceof DrillFailed && drill.workdir && opts.keep) failure.workdir = drill.workdir;
    throw failure;
  } finally {
    if (drill.cluster) await drill.cluster.stop().catch(() => undefined);
    if (drill.workdir && !opts.keep) await rm(drill.workdir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function restoreAndReport(drill: Drill): Promise<DrillReport> {
  const { opts, processes } = drill;
  const deadline = drill.started + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const requireComplete = opts.requireComplete ?? true;
  drill.say(`inspecting ${drill.archive}`);
  const { report, latest } = await checkRestorable(opts.store, drill.archive, requireComplete);
  // Problems beyond restorability (e.g. a gap after the stop segment) mean data would be lost: say so.
  drill.warnings.push(...report.warnings, ...report.problems);
  const where = { store: opts.store, bucket: drill.bucket, prefix: drill.prefix, processes };
  const age = await checkAge(where, latest, opts.now ?? (() => new Date()), opts.maxAgeMs);
  const major = archiveMajor(report, latest);
  const pg = await chooseLocalPg(major, opts.pgBin, processes);
  const as = processes.postgresAccount();
  drill.workdir = await makeWorkdir(opts.workdir, as, processes);
  const paths = workdirPaths(drill.workdir);
  const restoreCommand = restoreCommandFor(opts.selfCommand ?? defaultSelfCommand(), drill.archive, opts.s3Flags ?? {});
  await checkRestoreCommand(restoreCommand, latest.startSegment, paths, as, processes);
  const base = await restoreBase(drill, latest, paths, pg, as);
  const port = await freePort();
  await writeRecoveryConfig({ dataDir: paths.dataDir, major: pg.major, restoreCommand, port, socketDir: paths.socketDir, as });
  const conn = { user: opts.dbUser ?? 'postgres', database: opts.dbName ?? 'postgres' };
  const { dataDir, socketDir } = paths;
  drill.cluster = new ScratchCluster({ bin: pg.bin, dataDir, socketDir, port, logFile: join(paths.dir, 'postgresql.log'), as, processes });
  drill.say('replaying WAL');
  const recoveryStarted = Date.now();
  await drill.cluster.start();
  await drill.cluster.waitRecovered({ deadline, ...conn, signal: opts.signal });
  const recoveryMs = Date.now() - recoveryStarted;
  const replay = await replayFacts(drill.cluster, pg.major, conn);
  const lost = report.lost ?? checkReplayReached(drill.warnings, replay, report, major, requireComplete);
  const sql = opts.query ?? DEFAULT_QUERY;
  const rows = await queryRestored(drill.cluster, sql, conn, opts.expectRows, replay, report);
  const walBytes = await archivedWalBytes(opts.store, drill.bucket, drill.prefix, replay.restoredFiles);
  return {
    archive: drill.archive,
    backup: {
      name: latest.name,
      finishedAt: age.finished.at.toISOString(),
      finishedAtSource: age.finished.source,
      ageMs: age.ageMs,
      expandedSizeBytes: latest.expandedSizeBytes ?? 0,
      partitions: latest.partitions.length,
    },
    postgres: { archiveMajor: major, localVersion: pg.version, bin: pg.bin },
    restore: restoreTimes(drill, base, recoveryMs, walBytes, replay),
    replay: {
      lastLsn: replay.lastLsn,
      lastSegment: replay.lastSegment,
      lastTransactionAt: replay.lastTransactionAt,
      timeline: replay.timeline,
      lost,
    },
    query: { sql, rowCount: rows.length, rows: rows.slice(0, SAMPLE_ROWS), expectedRows: opts.expectRows ?? null },
    warnings: drill.warnings,
    workdir: opts.keep ? drill.workdir : null,
  };
}

/** LATEST's partitions into the scratch data folder, completed so PostgreSQL can start on it. */
async function restoreBase(
  drill: Drill,
  latest: BaseBackupInfo,
  paths: Workdir,
  pg: LocalPg,
  as: RunAs | undefined,
): Promise<BaseBackupStats> {
  drill.say(`restoring ${latest.name} (${latest.partitions.length} partition(s))`);
  const base = await downloadBaseBackup({
    store: drill.opts.store,
    bucket: drill.bucket,
    partitions: latest.partitions,
    dataDir: paths.dataDir,
    as,
    concurrency: drill.opts.concurrency,
    signal: drill.opts.signal,
    processes: drill.processes,
  });
  await completeDataDir(paths.dataDir, pg.major, as);
  return base;
}

function restoreTimes(
  drill: Drill,
  base: BaseBackupStats,
  recoveryMs: number,
  walBytes: number,
  replay: ReplayFacts,
): DrillReport['restore'] {
  return {
    durationMs: Date.now() - drill.started,
    baseBackupMs: base.durationMs,
    recoveryMs,
    bytesDownloaded: base.compressedBytes + walBytes,
    baseBackupBytes: base.compressedBytes,
    walBytes,
    walFilesRestored: replay.restoredFiles.length,
  };
}
