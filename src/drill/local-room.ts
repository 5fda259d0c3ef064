/**
 * Room on this machine for what a drill fetches before anything reads it: the base backup extracted
 * and every archived WAL segment decompressed (16 MiB each), in the drill's scratch folder. Checked
 * before the first byte is fetched, so an archive larger than the disk is refused in a second rather
 * than after an hour of downloading, and the disk that holds the run's journal is never filled by it.
 * A disk that fills all the same (something else wrote to it meanwhile) is said as this machine's,
 * never as a damaged archive: lzop and tar fail alike on a full disk and on a corrupt file.
 */
import { sep } from 'node:path';
import { errnoCode, messageOf } from '../core/errors.js';
import { freeBytesAt } from '../core/free-space.js';
import { StageFailed } from '../systems/processes.js';
import { formatBytes } from '../core/format.js';
import { DrillFailed } from './exit-codes.js';
import { WORKDIR_PREFIX } from './workdir.js';

const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/** What the drill writes beyond the declared sizes: the server's own files while it replays (its log, pg_wal's recycled segments). */
const MARGIN = 1.5;
/** Left free on this machine's disk after the drill, which may hold the run's journal and the operator's own files. */
const RESERVE_BYTES = 256 * 1024 * 1024;

/** What the drill fetches here: the base backup as extracted, and the archived WAL decompressed. */
export interface Fetched {
  backupBytes: number;
  walSegments: number;
}

/** What the operator can do about a disk without room for the drill. */
const ROOM_HINT = "drill into a folder on a larger one: drill --workdir DIR, or TMPDIR=DIR for a run's steps (then resume)";

/** A full disk or quota in a program's words (strerror of ENOSPC and EDQUOT; lzop: "No space left on device: <stdout>"). */
const FULL = /No space left on device|Disk quota exceeded/;

/** The bytes `f` holds as fetched: the base backup extracted and its WAL decompressed. */
export function fetchedBytes(f: Fetched): number {
  return f.backupBytes + f.walSegments * WAL_SEGMENT_BYTES;
}

/** The bytes `f` needs with the margin, and `reserveBytes` left free beside it (this machine's, unless said: a cell keeps more). */
export function roomNeeded(f: Fetched, reserveBytes = RESERVE_BYTES): number {
  return Math.ceil(fetchedBytes(f) * MARGIN + reserveBytes);
}

/**
 * Refuses (could-not-run) a drill whose scratch folder, made under `parent`, would not hold what it
 * fetches, naming the folder, the free space and what the archive needs.
 */
export async function requireLocalRoom(parent: string, f: Fetched): Promise<void> {
  const needed = roomNeeded(f);
  const { folder, free } = await freeBytesAt(parent);
  if (free >= needed) return;
  const wal = `${String(f.walSegments)} WAL segment(s), ${formatBytes(f.walSegments * WAL_SEGMENT_BYTES)} decompressed`;
  throw new DrillFailed(
    'could-not-run',
    `${folder} has ${formatBytes(free)} free; the drill fetches the archive there before restoring it: its base backup (${formatBytes(f.backupBytes)} extracted) and ${wal}, ${formatBytes(needed)} with a margin`,
    {
      hint: `nothing was fetched; free space on that disk (df -h ${folder}), or ${ROOM_HINT}`,
    },
  );
}

/** Whether a failure, or what it wraps, is a full disk or quota on this machine: thrown by Node, or said by a program. */
function diskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = errnoCode(e);
    if (code === 'ENOSPC' || code === 'EDQUOT' || (e instanceof StageFailed && FULL.test(e.stderr))) return true;
  }
  return false;
}

/**
 * This machine's disk filled while the drill fetched the archive to it, though the check before had found
 * the room in bytes (something else wrote to that disk meanwhile, or its files ran out): the drill could not
 * run here, and a drill of a run's step stops the run for the operator rather than going on unproven, as a
 * cell's store that fills does.
 */
export class LocalDiskFull extends DrillFailed {
  constructor(doing: string, into: string, cause: unknown) {
    // The drill's scratch folder is removed once it fails: df is pointed at the folder it was made in.
    const made = into.split(sep).findIndex((part) => part.startsWith(WORKDIR_PREFIX));
    const disk = made > 0 ? into.split(sep).slice(0, made).join(sep) || sep : into;
    super('could-not-run', `this machine's disk filled while ${doing} into ${into}: ${messageOf(cause)}`, {
      hint: `the archive is not at fault: free space on that disk (df -h ${disk}), or ${ROOM_HINT}`,
      cause,
    });
  }
}

/** The drill's failure when this machine's disk filled while it was `doing` into `into`; undefined for any other failure. */
export function diskFullFailure(err: unknown, doing: string, into: string): LocalDiskFull | undefined {
  return diskFull(err) ? new LocalDiskFull(doing, into, err) : undefined;
}
