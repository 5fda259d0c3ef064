/**
 * The drill on a Dingo cell, in the service's own image, for an archive whose major no local server
 * binaries run (Dingo's are 9.4 and 9.5, which no jumpbox has): the archive is inspected, fetched
 * and checked here as by the local drill (base-backup.ts's admission of every tar member,
 * wal-download.ts), with the drill's own S3 credentials, and streamed as one tar of ours into a
 * throwaway container of the image on the cell over the run's cell session
 * (systems/cell-scratch.ts): no S3 credential reaches the cell. There `postgres` itself runs (never
 * the image's Patroni entrypoint) as the image's postgres account, hardened, on a scratch folder of
 * ours under the cell's store, with our configuration (recovery-config.ts: no archiving, the WAL we
 * sent as its only restore source, no TCP); recovery is watched through `docker exec psql` on its
 * socket in the container's private /tmp, and where replay ended is read from the server (the last
 * record replayed, checked against the archive's newest WAL as the local drill does: PostgreSQL ends
 * recovery at a hole or a segment that would not decompress as at the archive's end) and from the
 * image's pg_controldata (the end-of-recovery checkpoint's redo location). The container and its folder are
 * removed however the drill ends; what an interrupted attempt left is removed first, found by our
 * label.
 */
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Redactor } from '../core/redact.js';
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import type { CellDocker } from '../systems/cell-scratch.js';
import type { ArchiveReport, BaseBackupInfo, LostWal } from '../wale/report.js';
import type { RecoveryTarget } from './recovery-target.js';
import { backupForStop } from './target-backup.js';
import { CELL_MOUNT, CellScratch } from '../systems/cell-scratch.js';
import { removeCellLeftovers } from '../systems/cell-leftovers.js';

export { HardeningRefused } from '../systems/cell-hardening.js';
export { StoreFull } from '../systems/cell-store.js';
import { archiveMajor, checkRestorable } from './archive-checks.js';
import { downloadBaseBackup } from './base-backup.js';
import { sideBySide } from './fetch-archive.js';
import { DrillFailed } from './exit-codes.js';
import { cellPsql as psql, SOCKET_DIR, waitRecovered } from './cell-recovery.js';
import { writeRecoveryConfig } from './recovery-config.js';
import { damagedWalWarning, downloadWal, localRestoreCommand } from './wal-download.js';
import { completeDataDir, makeWorkdir, workdirPaths } from './workdir.js';
import { fetchedBytes, requireLocalRoom } from './local-room.js';
import { checkCell } from './cell-drill-checks.js';
import { checkReplayReached } from './restored-checks.js';
import { lostRange } from './replay.js';
import { counts, lastReplayed, redoLocation } from './cell-restored-reads.js';
import { removeOnExit } from '../core/exit-cleanup.js';
import { stopUndos } from '../core/stop-undo.js';
import { failpoint } from '../core/failpoints.js';

/** What a message of the drill on a cell is, when it is not the drill's work itself. */
export type CellProgress = 'cleanup' | 'left';

export interface CellDrillOptions {
  /** s3://BUCKET/PREFIX/ of the wal-e archive. */
  url: string;
  store: ObjectStore;
  /** The cell's Docker client over the run's cell session. */
  docker: CellDocker;
  /** The cell as the operator knows it (its IP). */
  cell: string;
  /** The service's image on the cell, e.g. cfcommunity/postgresql-patroni:9.5. */
  image: string;
  /** The cell's store (default /var/vcap/store). */
  cellStore?: string;
  /** Hardening options the operator agreed to go on without. */
  without?: string[];
  /** Where the archive is fetched to on this machine before it is streamed. */
  workdir: string;
  /** What the drill's own folder's name starts with there (default WORKDIR_PREFIX). */
  workdirPrefix?: string;
  processes: LocalProcesses;
  redactor: Redactor;
  signal?: AbortSignal;
  /** How long recovery may take (default one hour). */
  recoveryTimeoutMs?: number;
  /**
   * How the wait for recovery pauses between polls (default a real timer): the run's own, so a
   * rehearsal's simulated server is not waited for in real time. The deadline counts the pauses
   * taken when they add up to more than the real time gone.
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Told what the drill does, as it does it. `kind` sets apart what is not its work: its removal of
   * what an interrupted drill left (`cleanup`), and what it could not remove from the cell (`left`).
   */
  progress?: (message: string, kind?: CellProgress) => void;
  /** Told the archive's inspection as soon as it is made, before the drill judges it (a drill of many archives reports each). */
  inspected?: (report: ArchiveReport) => void;
  /** The complete base backup to restore (by name) instead of LATEST. */
  backup?: string;
  /** Where replay stops instead of the archive's end (archive mistakes: as soon as the backup is consistent). */
  target?: RecoveryTarget;
  /**
   * Whether WAL that replay cannot reach (a hole in the listing, a segment that does not decompress or
   * that PostgreSQL stops at) fails the drill as "not restorable" (the default, without a target), or
   * is a warning with the lost range (a recovery, for which the archive is the best copy there is).
   */
  requireComplete?: boolean;
  /** Programs the image must hold besides its server, checked before anything is written, and what each is for. */
  needs?: { program: string; for: string }[];
  /** Looks at the restored copy in its container before it is removed. */
  look?: (copy: CellCopy) => Promise<void>;
}

/** What a `look` is given: the container, the base backup, and the WAL fetched here and streamed in. */
export interface CellCopy {
  box: CellScratch;
  backup: BaseBackupInfo;
  major: string;
  /** The WAL fetched on this machine (decompressed), as it was streamed in. */
  walDir: string;
  /** The same WAL as the container sees it. */
  cellWalDir: string;
  /** A statement run by psql on the restored server's socket, as its bootstrap superuser. */
  psql: (sql: string, database: string) => Promise<{ ok: boolean; out: string; err: string }>;
}

export interface CellDrillReport {
  archive: string;
  image: string;
  cell: string;
  backup: string;
  /** The image's server version, e.g. "9.5.4". */
  version: string;
  tables: number;
  rows: number;
  databases: string[];
  /** The end-of-recovery checkpoint's redo location, e.g. "0/3B000028". */
  replayedTo: string;
  /** Archived WAL replay did not reach (only without requireComplete): what it holds will not come back. */
  lost: LostWal | null;
  /** Leftovers of an interrupted drill removed first. */
  removedLeftovers: string[];
  /** The hardening options the container ran without (the cell's Docker refused them; the operator allowed it). */
  without: string[];
  durationMs: number;
  /** What the operator must know beside the result: a restored cluster that holds no table of the tenant's. */
  warnings: string[];
}

/** The warning of a drill whose restored cluster holds no table outside PostgreSQL's own schemas, or none. */
function emptyClusterWarning(tables: number, databases: string[]): string | undefined {
  if (tables > 0) return undefined;
  return `the restored cluster holds no table outside PostgreSQL's own schemas (databases: ${databases.join(', ') || 'none'}): an instance its user kept data in would have some. Check that this archive is the deleted instance's (its GUID, and other candidates: dingo-recover logs find) before relying on it`;
}

/** How much of a file the drill's tar reads at a time. */
const TAR_READ_BYTES = 1024 * 1024;
const DATA = `${CELL_MOUNT}/data`;
const realSleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Where the drill ran: "IMAGE on CELL[ without OPTIONS]", the hardening options it went without named. */
export function ranIn(r: Pick<CellDrillReport, 'image' | 'cell' | 'without'>): string {
  return `${r.image} on ${r.cell}${r.without.length ? ` without ${r.without.join(', ')}` : ''}`;
}

/**
 * The screen's line: "drilled in IMAGE on CELL[ without OPTIONS]: consistent, N tables, M rows, replayed to
 * LSN[, short of the newest archived WAL (FROM .. TO not replayed)]".
 */
export function cellDrillLine(r: CellDrillReport): string {
  const short = r.lost ? `, short of the newest archived WAL (${lostRange(r.lost)} not replayed)` : '';
  return `drilled in ${ranIn(r)}: consistent, ${r.tables.toLocaleString('en-US')} tables, ${r.rows.toLocaleString('en-US')} rows, replayed to ${r.replayedTo}${short}`;
}

export async function runCellDrill(o: CellDrillOptions): Promise<CellDrillReport> {
  const started = performance.now();
  const { bucket, prefix } = parseS3Url(o.url);
  const archive = formatS3Url(bucket, prefix);
  const say = (m: string, kind?: CellProgress): void => o.progress?.(m, kind);
  say(`inspecting ${archive}`);
  // Replay to a target stops short of the newest WAL on purpose; replaying everything archived, it must get there.
  const requireComplete = o.target ? false : (o.requireComplete ?? true);
  const { report, latest: newest } = await checkRestorable(o.store, archive, requireComplete, o.redactor, o.inspected);
  // Problems beyond restorability (a hole after LATEST's stop) mean data would be lost: said beside the result.
  const warnings = o.target ? [] : [...report.warnings, ...report.problems];
  const latest = o.backup === undefined ? newest : backupForStop(report, { kind: 'immediate' }, newest, o.backup);
  const major = archiveMajor(report, latest);
  const removedLeftovers = await removeCellLeftovers(o.docker, o.cellStore);
  for (const name of removedLeftovers) say(`removed ${name}, left on ${o.cell} by an interrupted drill`, 'cleanup');
  const box = new CellScratch({
    docker: o.docker,
    image: o.image,
    id: randomBytes(6).toString('hex'),
    store: o.cellStore,
    without: o.without,
  });
  say(`checking ${o.image} on ${o.cell}`);
  const fetched = { backupBytes: latest.expandedSizeBytes ?? 0, walSegments: report.walSegments };
  const probe = await checkCell(box, o, major, fetched);
  await requireLocalRoom(o.workdir, fetched);
  const dir = await makeWorkdir(o.workdir, o.workdirPrefix);
  const release = removeOnExit(dir);
  // What the drill makes on the cell, a signal's session removes before it exits (the finally below cannot run then).
  const releaseOnCell = stopUndos.register(`the drill's container ${box.name} and folder ${box.folder} on ${o.cell}`, () => box.remove());
  const paths = workdirPaths(dir);
  let drilled = false;
  try {
    say(`restoring ${latest.name} here and fetching its WAL`);
    const common = { store: o.store, bucket, processes: o.processes, as: undefined };
    const [, wal] = await sideBySide(
      o.signal,
      (signal) => downloadBaseBackup({ ...common, signal, partitions: latest.partitions, dataDir: paths.dataDir }),
      (signal) =>
        downloadWal({
          ...common,
          signal,
          prefix,
          startSegment: latest.startSegment,
          pgMajor: major,
          into: paths.walDir,
          missingOnly: false,
        }),
    );
    await completeDataDir(paths.dataDir, major, undefined);
    warnings.push(...wal.damaged.map(damagedWalWarning));
    failpoint('drill.fetched');
    await writeRecoveryConfig({
      dataDir: paths.dataDir,
      major,
      restoreCommand: localRestoreCommand(`${CELL_MOUNT}/wal`),
      port: 5432,
      socketDir: SOCKET_DIR,
      target: o.target ?? null,
    });
    o.signal?.throwIfAborted();
    say(`streaming it into ${box.name} on ${o.cell}`);
    await box.makeFolder(probe);
    // node-tar is loaded once there is something to stream; its stream is a minipass one, read through as bytes.
    // A mebibyte a read, not node-tar's 16 MiB (each WAL segment read whole into a buffer of its own):
    // the stream holds less at once, and buffers that small are used again by the allocator.
    const { create } = await import('tar');
    // Its size as fetched: a cell reached by v1's `bosh ssh` copies it to the cell first, and checks the room for it there.
    await box.load(
      Readable.from(create({ cwd: dir, portable: true, maxReadSize: TAR_READ_BYTES }, ['data', 'wal']) as AsyncIterable<Buffer>),
      fetchedBytes(fetched),
    );
    o.signal?.throwIfAborted();
    say(`replaying ${wal.files} WAL file(s) in ${o.image} on ${o.cell}`);
    await box.start(DATA, SERVER_SETTINGS);
    failpoint('drill.started');
    await waitRecovered(box, o.signal, o.recoveryTimeoutMs ?? 3_600_000, o.sleep ?? realSleep);
    const replayedTo = await redoLocation(box, DATA);
    // PostgreSQL ends recovery where the WAL it can fetch runs out, a hole or a damaged segment as the archive's end.
    const replay = { lastLsn: await lastReplayed(box, major), lastSegment: null, lastTransactionAt: null };
    const lost = o.target ? null : (report.lost ?? checkReplayReached(warnings, replay, report, major, requireComplete));
    const { databases, tables, rows } = await counts(box);
    await o.look?.({
      box,
      backup: latest,
      major,
      walDir: paths.walDir,
      cellWalDir: `${CELL_MOUNT}/wal`,
      psql: (sql, database) => psql(box, sql, database),
    });
    drilled = true;
    return {
      archive,
      image: o.image,
      cell: o.cell,
      backup: latest.name,
      version: probe.version,
      tables,
      rows,
      databases,
      replayedTo,
      lost,
      removedLeftovers,
      without: [...(o.without ?? [])],
      durationMs: Math.round(performance.now() - started),
      warnings: [...warnings, emptyClusterWarning(tables, databases)].filter((w) => w !== undefined),
    };
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    release();
    // What is left on the cell is said either way; it fails a drill that otherwise passed, which nobody would read further.
    await box
      .remove()
      .catch((err: unknown) => {
        const left = `${box.name} and ${box.folder} are still on ${o.cell} (${(err as Error).message}): remove them there with docker rm -f -v ${box.name} and rm -rf ${box.folder}, or run the drill again, which removes them first`;
        say(left, 'left');
        if (drilled) throw new DrillFailed('could-not-run', left);
      })
      .finally(releaseOnCell);
  }
}

/** On the command line (they win over the files): no archiving, no libraries, no TCP, a socket only our exec reaches. */
const SERVER_SETTINGS: [string, string][] = [
  ['listen_addresses', ''],
  ['unix_socket_directories', SOCKET_DIR],
  ['unix_socket_permissions', '0700'],
  ['archive_mode', 'off'],
  ['archive_command', ''],
  ['shared_preload_libraries', ''],
  ['hot_standby', 'off'],
  ['fsync', 'off'],
  ['logging_collector', 'off'],
];
