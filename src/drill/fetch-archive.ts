/**
 * What a drill fetches from the archive into its scratch folder: LATEST's partitions into the data
 * folder and, side by side, the archived WAL replay can ask for into the WAL folder; or, going on from
 * a paused copy, only the WAL not in its folder yet.
 */
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import type { BaseBackupInfo } from '../wale/report.js';
import { downloadBaseBackup, type BaseBackupStats } from './base-backup.js';
import type { DrillServer } from './cluster-setup.js';
import { damagedWalWarning, downloadWal, type WalDownloaded } from './wal-download.js';
import { completeDataDir, type Workdir } from './workdir.js';

/** Where the archive is, how the drill reads it, and where it tells what it does and what it found wrong. */
export interface ArchiveFetch {
  store: ObjectStore;
  bucket: string;
  prefix: string;
  /** The drill's: aborted by its deadline or Ctrl-C. */
  signal: AbortSignal;
  processes: LocalProcesses;
  /** Base backup partitions downloaded at once. */
  concurrency?: number;
  say: (message: string) => void;
  /** The drill's warnings, which a damaged WAL file is added to. */
  warnings: string[];
}

/**
 * LATEST's partitions into the scratch data folder, completed so PostgreSQL can start on it, and
 * meanwhile the archived WAL replay can ask for into the drill's WAL folder.
 */
export async function restoreBaseAndWal(
  from: ArchiveFetch,
  latest: BaseBackupInfo,
  paths: Workdir,
  pg: DrillServer,
  as: RunAs | undefined,
): Promise<[BaseBackupStats, WalDownloaded]> {
  from.say(`restoring ${latest.name} (${latest.partitions.length} partition(s)) and fetching its WAL`);
  return sideBySide(
    from.signal,
    async (signal) => {
      const base = await downloadBaseBackup({
        store: from.store,
        bucket: from.bucket,
        signal,
        processes: from.processes,
        as,
        partitions: latest.partitions,
        dataDir: paths.dataDir,
        concurrency: from.concurrency,
      });
      await completeDataDir(paths.dataDir, pg.major, as);
      return base;
    },
    (signal) => fetchWal({ ...from, signal }, latest, paths, pg, as, false),
  );
}

/**
 * Two fetches into the same scratch folder at once, each given a signal aborted by `signal` or by the
 * other's failure. Both have ended, failed or not, before the first failure goes on: the scratch
 * folder is removed next, and nothing may still be writing in it.
 */
export async function sideBySide<A, B>(
  signal: AbortSignal | undefined,
  a: (signal: AbortSignal) => Promise<A>,
  b: (signal: AbortSignal) => Promise<B>,
): Promise<[A, B]> {
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let failure: { reason: unknown } | undefined;
  const failed = (reason: unknown): never => {
    failure ??= { reason };
    stop.abort();
    throw reason;
  };
  const [ra, rb] = await Promise.allSettled([a(both).catch(failed), b(both).catch(failed)]);
  if (failure) throw failure.reason;
  return [(ra as PromiseFulfilledResult<A>).value, (rb as PromiseFulfilledResult<B>).value];
}

/** No base backup fetched: a paused copy went on. */
export const NO_BASE_BACKUP: BaseBackupStats = { partitions: 0, compressedBytes: 0, durationMs: 0 };

/** The archived WAL replay from `latest` can ask for, into the drill's WAL folder; with `missingOnly`, only what is not there yet. */
export async function fetchWal(
  from: ArchiveFetch,
  latest: BaseBackupInfo,
  paths: Workdir,
  pg: DrillServer,
  as: RunAs | undefined,
  missingOnly: boolean,
): Promise<WalDownloaded> {
  if (missingOnly) from.say(`fetching the WAL archived after what ${paths.walDir} holds`);
  const fetched = await downloadWal({
    store: from.store,
    bucket: from.bucket,
    signal: from.signal,
    processes: from.processes,
    as,
    prefix: from.prefix,
    startSegment: latest.startSegment,
    pgMajor: pg.major,
    into: paths.walDir,
    missingOnly,
  });
  from.warnings.push(...fetched.damaged.map(damagedWalWarning));
  return fetched;
}
