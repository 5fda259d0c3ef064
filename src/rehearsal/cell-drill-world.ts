/**
 * What a drill adds to the state of a simulated cell: its throwaway containers, the data streamed into
 * their scratch folders, the store they share with other tenants' databases and the cgroups the
 * cell's kernel lacks.
 */
import type { CellWorld, Holdings } from './cell-world.js';

/** One container of the drill on the cell. */
export interface SimDrill {
  name: string;
  image: string;
  /** Our label's value: the scratch folder. */
  folder: string;
  running: boolean;
  logs: string[];
  /** Polls of pg_is_in_recovery() left before recovery ends. */
  pollsLeft: number;
  /** The last WAL segment the data was given, when any. */
  lastWal?: string;
  /** What its server holds once recovered: the restored system's databases, each one's tables and rows. */
  holds?: Holdings;
}

/** What a drill's state on a cell adds to the cell's. */
interface DrillWorld {
  drills?: Record<string, SimDrill>;
  /** The data streamed into each scratch folder: PG_VERSION, the WAL segments given and the system their first names. */
  drillData?: Record<string, { pgVersion: string | null; wal: string[]; sysid?: string; kb?: number }>;
  /** Free 1024-byte blocks on the cell's store before any drill (df -Pk); absent: 200 GiB. */
  storeFreeKb?: number;
  /**
   * 1024-byte blocks other tenants' databases write to the store once a drill's archive streams in
   * (after its free-space check passed): their growth, which can fill the disk half-way.
   */
  othersWriteKb?: number;
  /** What they wrote so far. */
  othersWroteKb?: number;
  /** Cgroups the cell's kernel lacks: the daemon discards the limits they carry. */
  kernelLacks?: ('pids' | 'memory' | 'cpu')[];
}

export type DrillState = CellWorld & DrillWorld;

/** Our label on every drill container on a cell: its value is the container's scratch folder. */
export const DRILL_LABEL = 'dingo-recover.cell-drill';

/** The images some container of the cell runs: the only ones its Docker has. */
export function imagesOf(state: DrillState): string[] {
  return [...new Set(Object.values(state.containers).map((c) => c.image))];
}
