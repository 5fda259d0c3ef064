/**
 * `archive mistakes`: which transaction did the damage. The base backup before the window is
 * restored as the drill restores it (sandboxed scratch server, `--target immediate`: its catalog as
 * it was then), the archived WAL the drill fetched from that backup on is read by a pg_waldump of the
 * archive's major, run as the scratch account in the drill's sandbox, and every commit up to the end
 * of the window is listed with the tables it changed (named through the restored catalog, read as the
 * reader role), the TRUNCATEs, DROPs and mass DELETEs or UPDATEs pointed out, and the stop proposed:
 * just before the first of them (`--target-xid X --target-exclusive`).
 */
import type { Redactor } from '../core/redact.js';
import { join } from 'node:path';
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import { inspectArchive } from '../archive/inspect.js';
import { archiveMajor } from './archive-checks.js';
import { backupEnds, chooseBackup, type TargetTime } from './target-time.js';
import { runDrill } from './drill.js';
import type { RestoredCopy } from './restored-copy.js';
import { DrillFailed } from './exit-codes.js';
import { chooseLocalPg } from './local-pg.js';
import { majorOf, versionSaid } from '../core/pg-version.js';
import { scanWal, walReaderProgram, type WalReader, type WalScan } from './wal-scan.js';
import type { CellPlace } from './cell-mistakes.js';

export interface MistakesOptions {
  url: string;
  store: ObjectStore;
  /** The end of the window (default: the archive's end). */
  until?: TargetTime;
  /** The window starts at the newest base backup that ended before this moment (default: before `until`, else LATEST). */
  since?: TargetTime;
  /** A DELETE or UPDATE of this many rows of one table is pointed out. */
  massRows: number;
  pgBin?: string;
  binRoot?: string;
  processes: LocalProcesses;
  /** The folder the restore's temporary folder is made in. */
  workdir: string;
  /** The command's clock. */
  now: () => Date;
  /** Keeps the command's secrets out of what it reports. */
  redactor: Redactor;
  deadlineMs?: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  /** The command name the proposed command lines start with. */
  program?: string;
  /** Restore and read in the service's image on this cell (cell-mistakes.ts) instead of here. */
  cell?: CellPlace;
}

export interface MistakesReport extends WalScan {
  archive: string;
  backup: string;
  postgresMajor: string;
  until: string | null;
  /** Where the copy was restored and its WAL read: here, or in IMAGE on a cell. */
  readIn: string;
  warnings: string[];
}

/**
 * The pg_waldump beside the server binaries of `major` (before 10, pg_xlogdump: `pg_xlogdump (PostgreSQL)
 * 9.5.19` is 9.5's), refused naming what to install when there is none or another major's.
 */
export async function waldumpOf(major: string, o: Pick<MistakesOptions, 'pgBin' | 'binRoot'>, processes: LocalProcesses): Promise<string> {
  const pg = await chooseLocalPg(major, o.pgBin, processes, o.binRoot);
  const waldump = join(pg.bin, walReaderProgram(major));
  const r = await processes.run([waldump, '--version']).catch(() => null);
  const version = r?.code === 0 ? versionSaid(r.stdout) : null;
  if (!version || majorOf(version) !== major) {
    throw new DrillFailed(
      'could-not-run',
      version
        ? `${waldump} is PostgreSQL ${version}'s, and the archive was written by PostgreSQL ${major}: WAL is read only by its own major's pg_waldump`
        : `no pg_waldump of PostgreSQL ${major} beside its server binaries in ${pg.bin}`,
      {
        hint: `Install PostgreSQL ${major}'s server package (Debian: postgresql-${major}, which ships pg_waldump) and point --pg-bin at its bin folder.`,
      },
    );
  }
  return waldump;
}

/** pg_waldump here, over the drill's WAL folder, run as the scratch account in the drill's sandbox. */
function localReader(waldump: string, copy: RestoredCopy): WalReader {
  return {
    name: waldump,
    dump: async (range) => {
      const argv = [waldump, `--path=${copy.walDir}`, `--timeline=${range.timeline}`, `--start=${range.start}`];
      if (range.end) argv.push(`--end=${range.end}`);
      // The tenant's WAL is read in the drill's sandbox, as its server's account, where it can write nothing.
      return copy.cluster.sandbox.run(argv, { env: { TZ: 'UTC', LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    },
  };
}

export async function findArchiveMistakes(o: MistakesOptions): Promise<MistakesReport> {
  const processes = o.processes;
  const { bucket, prefix } = parseS3Url(o.url);
  const archive = formatS3Url(bucket, prefix);
  o.progress?.(`inspecting ${archive}`);
  const report = await inspectArchive(o.store, archive, { redactor: o.redactor });
  if (!report.restorable || !report.latest) {
    throw new DrillFailed(
      'not-restorable',
      `${archive} is not restorable: ${report.problems.join('; ') || 'it has no complete base backup'}`,
      {
        hint: 'archive inspect --window shows what each base backup reaches.',
      },
    );
  }
  const from = o.since ?? o.until;
  let backup = report.latest;
  if (from) {
    const ends = await backupEnds({ store: o.store, bucket, prefix, processes }, report);
    backup = chooseBackup(ends.known, report, from, ends.unknown).backup;
  }
  const major = archiveMajor(report, backup);
  const warnings: string[] = [];
  const scan = { archive, backup, major, massRows: o.massRows, until: o.until?.at, program: o.program, warnings, progress: o.progress };
  const done = { archive, backup: backup.name, postgresMajor: major, until: o.until?.iso ?? null };
  if (o.cell) {
    const { cellMistakes } = await import('./cell-mistakes.js');
    const result = await cellMistakes(o, o.cell, scan);
    return { ...done, ...result, readIn: `${o.cell.image} on ${o.cell.cell}`, warnings };
  }
  const waldump = await waldumpOf(major, o, processes);
  const seen: { result?: WalScan } = {};
  const drill = await runDrill({
    redactor: o.redactor,
    url: o.url,
    store: o.store,
    processes,
    workdir: o.workdir,
    now: o.now,
    pgBin: o.pgBin,
    binRoot: o.binRoot,
    backup: backup.name,
    target: { stop: { kind: 'immediate' }, exclusive: false, timeline: 'latest' },
    deadlineMs: o.deadlineMs,
    signal: o.signal,
    progress: o.progress,
    look: async (copy) => {
      seen.result = await scanWal({
        ...scan,
        read: async (sql, database) => (await copy.cluster.read(sql, database)).rows,
        database: copy.conn.database,
        walDir: copy.walDir,
        reader: localReader(waldump, copy),
      });
    },
  });
  const result = seen.result;
  if (!result) throw new Error('the restored copy was not looked at');
  return { ...done, ...result, readIn: `PostgreSQL ${drill.postgres.localVersion} here`, warnings: [...drill.warnings, ...warnings] };
}
