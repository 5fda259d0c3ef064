/**
 * The restore drill: prove that a wal-e archive restores, the way Dingo's
 * containers would restore it (backup-fetch LATEST, then WAL replay through
 * restore_command), on a private throwaway PostgreSQL, and report what came back; or, given a
 * moment, restore the database as it was then (the newest base backup that ended before it, WAL
 * replayed up to it: target-time.ts).
 * The archive may be a tenant's work: the drill fetches it with its own credentials, and the scratch
 * server runs sandboxed (systems/pg-sandbox.ts) as an account of its own with no network and no
 * credential. What still runs on the archive is PostgreSQL's own WAL replay; the query runs as a role
 * that is no superuser (systems/pg-reader.ts), so a function of the archive's that it reaches runs
 * without the server account's powers, let alone the operator's.
 */
import type { Redactor } from '../core/redact.js';
import { rm } from 'node:fs/promises';
import type { DockerEngine, LocalProcesses, ObjectStore } from '../core/seams.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import type { ArchiveReport } from '../wale/report.js';
import { archiveMajor, checkRestorable } from './archive-checks.js';
import { drillBackup } from './drill-backup.js';
import type { BaseBackupStats } from './base-backup.js';
import { BASE_DEADLINE_MS, Deadline, defaultDeadlineMs } from './deadline.js';
import type { DrillReport } from './drill-report.js';
import { DrillFailed } from './exit-codes.js';
import { asDrillFailure } from './failures.js';
import { chooseServer, prepareCluster, retargetCluster, serverHow } from './cluster-setup.js';
import { standbySettings } from './standby-settings.js';
import { targetReached, type TargetTime } from './target-time.js';
import { describeStop, targetFlags, type RecoveryTarget } from './recovery-target.js';
import { parseRecoveryLog, serverLogNow } from './recovery-log.js';
import { replayFacts, type ReplayFacts } from './replay.js';
import { checkReplayReached } from './restored-checks.js';
import { ScratchCluster } from './scratch-cluster.js';
import { READER_ROLE } from '../systems/pg-reader.js';
import { openScratch, type Scratch } from '../systems/postgres/index.js';
import { fetchWal, NO_BASE_BACKUP, restoreBaseAndWal } from './fetch-archive.js';
import { recover } from './recover.js';
import { readRestored, type RestoredCopy } from './restored-copy.js';
import { servePartials } from './partial-wal.js';
import { refusedPartials } from '../archive/partials.js';
import { makeWorkdir, workdirPaths } from './workdir.js';
import { removeOnExit } from '../core/exit-cleanup.js';
import { requireLocalRoom } from './local-room.js';

export type { DrillReport };

export interface DrillOptions {
  /** s3://BUCKET/PREFIX/ of the wal-e archive. */
  url: string;
  store: ObjectStore;
  query?: string;
  expectRows?: number;
  maxAgeMs?: number;
  pgBin?: string;
  /** Where server binaries are looked for (default /usr/lib/postgresql, then pg_ctl on PATH); given, only there. */
  binRoot?: string;
  /** Restore in the `postgres:<major>` image of this Engine when no local server binaries fit the archive. */
  engine?: DockerEngine;
  /** The folder the drill's own temporary folder is made in: the run's or the command's scratch folder. */
  workdir: string;
  /** What that folder's name starts with (default WORKDIR_PREFIX): a run's step names its own. */
  workdirPrefix?: string;
  keep?: boolean;
  /** The whole drill's time limit (default: defaultDeadlineMs of the archive). */
  deadlineMs?: number;
  dbUser?: string;
  dbName?: string;
  concurrency?: number;
  /**
   * Fail (not restorable) when replay cannot reach the newest archived WAL (default true). False
   * restores up to the hole and reports the lost range in `replay.lost` and the warnings.
   */
  requireComplete?: boolean;
  /**
   * Restore the newest base backup that ended before this moment and replay WAL up to it
   * (a transaction committed exactly then is included), instead of LATEST and all its WAL.
   */
  targetTime?: TargetTime;
  /** Stop replay elsewhere (a transaction, a WAL location, a restore point, the backup's end), or at `targetTime` exclusively or on a timeline. */
  target?: RecoveryTarget;
  /** The complete base backup to restore (by name) instead of the one the target chooses. */
  backup?: string;
  /**
   * Leave the copy a hot standby paused at the target (its settings from the control file:
   * standby-settings.ts) rather than promoted, for a look at the pause and a later target reached from
   * it (`from`), with local server binaries or in the image (a new container on the same data folder
   * each time). Only an archive whose WAL serves a hot standby pauses: otherwise the copy is promoted as
   * before (`paused` in the report says which). Nothing is written to a paused copy, so `query` is not
   * taken (its reader role is made once the copy is promoted), and `look` reads at the pause each
   * table as its owner, when that role is no superuser nor a member of one (`lines`).
   */
  pause?: boolean;
  /**
   * Go on from a copy an earlier drill left paused (`pause`) at an earlier target of the same timeline:
   * its recovery settings are written anew, the WAL not fetched yet is fetched, and replay continues
   * from its last restartpoint; no base backup is fetched.
   */
  from?: PausedCopy;
  /** Looks at the restored copy (its tables through `copy.lines`) before the query; the copy is removed after unless kept. */
  look?: (copy: RestoredCopy) => Promise<void>;
  /** Told the archive's inspection as soon as it is made, before the drill judges it (a drill of many archives reports each). */
  inspected?: (report: ArchiveReport) => void;
  signal?: AbortSignal;
  /** The run's (or the command's) clock: what "now" is for the archive's age and a target time. */
  now: () => Date;
  progress?: (message: string) => void;
  /** The programs the drill runs here: pg_ctl, psql, lzop, tar. */
  processes: LocalProcesses;
  /** Keeps the secrets of the run (or command) out of what the drill reports. */
  redactor: Redactor;
}

/** A copy a drill left paused at its target: its scratch folder and the base backup it was restored from. */
export interface PausedCopy {
  workdir: string;
  backup: string;
}

const SAMPLE_ROWS = 20;
/** The bootstrap superuser of a Dingo cluster. */
const SUPERUSER = 'postgres';

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
  /** Lets the workdir go from the process's exit cleanup once removed (a workdir not kept is removed however the process ends). */
  release?: () => void;
  /** The scratch server's sandbox and account, once made: closed however the drill ends. */
  scratch: Scratch | null;
  cluster: ScratchCluster | null;
  /** What the drill is doing now, for the deadline's message. */
  doing: string;
  deadline: Deadline;
}

export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const { bucket, prefix } = parseS3Url(opts.url);
  const started = performance.now();
  const drill: Drill = {
    opts,
    processes: opts.processes,
    say: () => undefined,
    bucket,
    prefix,
    archive: formatS3Url(bucket, prefix),
    started,
    warnings: [],
    workdir: null,
    scratch: null,
    cluster: null,
    doing: 'starting',
    deadline: new Deadline(started, opts.deadlineMs ?? BASE_DEADLINE_MS, () => whatItWasDoing(drill), opts.signal),
  };
  drill.say = (message) => {
    drill.doing = message;
    opts.progress?.(message);
  };
  const work = restoreAndReport(drill);
  work.catch(() => undefined);
  try {
    return await Promise.race([work, drill.deadline.expired]);
  } catch (err) {
    const failure = asDrillFailure(err);
    if (failure instanceof DrillFailed && drill.workdir && opts.keep) failure.workdir = drill.workdir;
    throw failure;
  } finally {
    drill.deadline.end();
    if (drill.scratch) {
      // Ended first, server and sandbox, so that no step still waits on it; then once more, should a start have been under way.
      await drill.scratch.close().catch(() => undefined);
      await work.catch(() => undefined);
      await drill.cluster?.stop().catch(() => undefined);
      await drill.scratch.close().catch(() => undefined);
    }
    if (drill.workdir && !opts.keep) await rm(drill.workdir, { recursive: true, force: true }).catch(() => undefined);
    drill.release?.();
  }
}

/** What the drill was doing, for the deadline's message: the phase, and during replay the last WAL file restored. */
function whatItWasDoing(drill: Drill): string {
  if (!drill.cluster || !drill.workdir) return drill.doing;
  // Read at once, never waiting: a FIFO in the log's place is said, not opened to wait on.
  const { text, replaced } = serverLogNow(drill.cluster.logFile);
  const last = parseRecoveryLog(text).restoredFiles.pop();
  return `PostgreSQL was still replaying WAL${replaced ? ` (${replaced})` : last ? ` (last WAL file restored: ${last})` : ' (no WAL file restored yet)'}`;
}

async function restoreAndReport(drill: Drill): Promise<DrillReport> {
  const { opts, processes } = drill;
  const target: RecoveryTarget | null =
    opts.target ?? (opts.targetTime ? { stop: { kind: 'time', time: opts.targetTime }, exclusive: false, timeline: 'latest' } : null);
  const time = target?.stop.kind === 'time' ? target.stop.time : null;
  // Replay to a moment stops short of the newest WAL on purpose; what is lost after it does not matter.
  const requireComplete = target ? false : (opts.requireComplete ?? true);
  drill.say(`inspecting ${drill.archive}`);
  const { report, latest: newest } = await checkRestorable(opts.store, drill.archive, requireComplete, opts.redactor, opts.inspected);
  if (opts.deadlineMs === undefined) drill.deadline.set(defaultDeadlineMs(newest.expandedSizeBytes ?? 0, report.walSegments));
  // Problems beyond restorability (e.g. a gap after the stop segment) mean data would be lost: say so.
  if (!target) drill.warnings.push(...report.warnings, ...report.problems);
  const where = { store: opts.store, bucket: drill.bucket, prefix: drill.prefix, processes };
  const from = opts.from;
  const { backup: latest, age } = await drillBackup(where, report, newest, target, opts);
  const major = archiveMajor(report, latest);
  const pg = await chooseServer(major, opts, processes);
  drill.deadline.signal.throwIfAborted();
  // A paused copy goes on in its own folder, fetching only the WAL it lacks.
  if (!from) await requireLocalRoom(opts.workdir, { backupBytes: latest.expandedSizeBytes ?? 0, walSegments: report.walSegments });
  drill.workdir = from ? from.workdir : await makeWorkdir(opts.workdir, opts.workdirPrefix);
  if (!opts.keep) drill.release = removeOnExit(drill.workdir);
  const paths = workdirPaths(drill.workdir);
  // The server's life, and its account's, from the first file it will own: everything it runs ends with it.
  const scratch = await openScratch({
    open: processes.scratchSandbox,
    dataDir: paths.dataDir,
    socketDir: paths.socketDir,
    ownedReadOnly: [paths.walDir],
    bins: [pg.bin],
    logins: [SUPERUSER, READER_ROLE],
  });
  drill.scratch = scratch;
  const as = scratch.account;
  const fetching = { ...where, signal: drill.deadline.signal, concurrency: opts.concurrency, say: drill.say, warnings: drill.warnings };
  const [base, wal] = from
    ? [NO_BASE_BACKUP, await fetchWal(fetching, latest, paths, pg, as, true)]
    : await restoreBaseAndWal(fetching, latest, paths, pg, as);
  const partials = await servePartials({ ...where, partials: report.partials, into: paths.walDir, as });
  for (const p of partials)
    drill.say(`serving ${p.key.slice(drill.prefix.length)} as ${p.servedAs}: WAL written after the archive's last full segment`);
  drill.deadline.signal.throwIfAborted();
  const standby = opts.pause && target ? await standbySettings(paths.dataDir, pg.major) : null;
  const setup = { paths, pg, scratch, target, standby };
  const cluster = from ? await retargetCluster(setup) : await prepareCluster(setup);
  drill.cluster = cluster;
  // Our catalog reads are the bootstrap superuser's, the only role whose role-level libraries PGOPTIONS may switch off;
  // the query runs as the reader role, no superuser, and under --db-user by SET ROLE.
  const conn = { user: SUPERUSER, database: opts.dbName ?? 'postgres' };
  drill.say(target ? `replaying WAL up to ${time ? time.text : describeStop(target.stop)}` : 'replaying WAL');
  const recoveryStarted = performance.now();
  const recovering = { signal: drill.deadline.signal, say: drill.say, restarted: (c: ScratchCluster) => void (drill.cluster = c) };
  const how = { conn, target, major: pg.major, pause: standby !== null, dataDir: paths.dataDir };
  const { restored, archiveEndedFirst, paused, control } = await recover(recovering, cluster, how);
  const recoveryMs = Math.round(performance.now() - recoveryStarted);
  const replay = await replayFacts(restored, pg.major, conn, { control, archiveSysid: report.sysid });
  // Stopped at the moment, replay was meant to stop short; replaying everything archived, it must have reached the end.
  const lost =
    target && !archiveEndedFirst
      ? null
      : archiveEndedFirst
        ? (checkReplayReached(drill.warnings, replay, report, major, true, time) ?? report.lost)
        : (report.lost ?? checkReplayReached(drill.warnings, replay, report, major, requireComplete));
  const copy = { cluster: restored, walDir: paths.walDir, pg, backup: latest, report, conn, paused };
  const { sql, rows } = await readRestored(copy, opts, replay);
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
    postgres: { archiveMajor: major, localVersion: pg.version, bin: pg.bin, server: serverHow(pg, restored) },
    restore: restoreTimes(drill, base, recoveryMs, wal.compressedBytes, replay),
    replay: {
      lastLsn: replay.lastLsn,
      lastSegment: replay.lastSegment,
      lastTransactionAt: replay.lastTransactionAt,
      timeline: replay.timeline,
      lost,
    },
    target: time && targetReached(time, !target?.exclusive, replay, archiveEndedFirst),
    stop: target && {
      target: describeStop(target.stop),
      flags: targetFlags(target),
      stopped: parseRecoveryLog(await restored.log()).stopped,
    },
    query: { sql, rowCount: rows.length, rows: rows.slice(0, SAMPLE_ROWS), expectedRows: opts.expectRows ?? null },
    warnings: drill.warnings,
    workdir: opts.keep ? drill.workdir : null,
    paused,
    partials,
    refusedPartials: refusedPartials(report.partials),
  };
}

function restoreTimes(
  drill: Drill,
  base: BaseBackupStats,
  recoveryMs: number,
  walBytes: number,
  replay: ReplayFacts,
): DrillReport['restore'] {
  return {
    durationMs: Math.round(performance.now() - drill.started),
    baseBackupMs: base.durationMs,
    recoveryMs,
    bytesDownloaded: base.compressedBytes + walBytes,
    baseBackupBytes: base.compressedBytes,
    walBytes,
    walFilesRestored: replay.restoredFiles.length,
  };
}
