/**
 * The cell's store, where a drill's scratch folder lives beside the containers' own data: its place,
 * the name our folders in it start with, how full `df` says it is, and the failure of a store that
 * filled while the drill wrote to it.
 */
import { StepFailed } from '../core/errors.js';
import { formatBytes } from '../core/format.js';

/** The cell's persistent disk, where the containers' own data lives too (the broker's host_directory's parent). */
export const CELL_STORE = '/var/vcap/store';
/** The name of our containers and of their folders under the store. */
export const CELL_DRILL_PREFIX = 'dingo-recover-drill-';

/**
 * How a full disk reads in what ran in the container: ENOSPC in the words of GNU tar (src/extract.c
 * extract_file → paxutils' write_error_details: "%s: Wrote only %lu of %lu bytes", or `Cannot
 * write`/`Cannot open`/`Cannot mkdir: No space left on device`) and of PostgreSQL (xlog.c, fd.c:
 * `could not write to file …: No space left on device`).
 */
export const NO_SPACE = /No space left on device|Wrote only \d+ of \d+ bytes/;

/** The cell's store as `df -Pk` shows it (POSIX columns, 1024-byte blocks). */
export interface StoreUse {
  device: string;
  mount: string;
  sizeKb: number;
  availKb: number;
  /** "100%". */
  capacity: string;
}

/** The store filled while the drill wrote to it (another tenant's growth after the free-space check, or ours). */
export class StoreFull extends StepFailed {
  constructor(where: string, doing: string, use: StoreUse | null, said: string) {
    const how = use
      ? `${use.device} on ${use.mount} is ${use.capacity} full (${formatBytes(use.availKb * 1024)} free of ${formatBytes(use.sizeKb * 1024)})`
      : 'df did not say how full';
    super(`the cell's store filled ${doing} on ${where}: ${how}; ${said}`, {
      hint: `the drill's container and scratch folder are removed, which gives back what it wrote; other tenants' databases live on that disk, so free space there (df -h ${use?.mount ?? CELL_STORE} on the cell) before drilling again, or drill on another cell of the same image (drill --on-cell)`,
    });
  }
}
