/** What a restore drill reports: the backup restored, the PostgreSQL used, timings, how far replay got, the query. */
import type { LostWal } from '../wale/report.js';
import type { ReplayEnd } from './replay.js';
import type { RefusedPartial } from '../archive/partials.js';
import type { ServedPartial } from './partial-wal.js';

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
  postgres: {
    archiveMajor: string;
    /** The local server's version; in the image, the major. */
    localVersion: string;
    /** The local server binaries; in the image, the local client binaries that talked to it. */
    bin: string;
    /** How the server ran: "local PostgreSQL 15.4 (/usr/lib/postgresql/15/bin)" or "container postgres:9.5 (abc123def456)". */
    server: string;
  };
  restore: {
    durationMs: number;
    baseBackupMs: number;
    recoveryMs: number;
    bytesDownloaded: number;
    baseBackupBytes: number;
    walBytes: number;
    walFilesRestored: number;
  };
  replay: ReplayEnd & {
    /** Archived WAL replay did not reach (only with requireComplete: false). */
    lost: LostWal | null;
  };
  /** The moment restored to (--target-time), and where replay stopped; null for a drill to the newest WAL. */
  target: {
    /** The moment, in UTC. */
    time: string;
    /** A transaction committed exactly at `time` is in the restored database (false with --target-exclusive). */
    inclusive: boolean;
    /** The first transaction left out (committed after `time`): replay stopped before it. Null when none was archived. */
    stoppedBefore: { transaction: string; at: string } | null;
    /** The newest transaction in the restored database (pg_last_xact_replay_timestamp). */
    lastTransactionAt: string | null;
    /** No transaction after `time` was archived: the restore holds everything archived. */
    archiveEndedFirst: boolean;
  } | null;
  /** Any target (recovery-target.ts): what it was, the flags that restore to it, and where the server log says replay stopped. */
  stop: { target: string; flags: string[]; stopped: string | null } | null;
  query: { sql: string; rowCount: number; rows: string[][]; expectedRows: number | null };
  warnings: string[];
  /** The scratch folder, when kept with --keep. */
  workdir: string | null;
  /** The copy was left a hot standby paused at the target (the drill's `pause`), not promoted. */
  paused: boolean;
  /** Checked `.partial` segments replay was given under their segment's full name (WAL after the archive's last full segment). */
  partials: ServedPartial[];
  /** The `.partial` segments the inspection refused, never served, each with why. */
  refusedPartials: RefusedPartial[];
}

/**
 * What a copy holds when replay reached the end of the archived WAL before a moment: everything
 * archived, whose newest commit was at NEWEST. A commit made after that and before the moment would
 * be in WAL never archived (the segment being written then, which wal-e pushes once full or at
 * archive_timeout; a WAL object's upload time is no commit's), so the copy may lack it.
 */
export const ARCHIVE_ENDED_FIRST = (newest: string): string =>
  `nothing committed after ${newest} was archived. Writes made after that and before the moment, if any, were in WAL never archived (the segment being written then) and are not in the copy: it is the database as archived at ${newest}`;
