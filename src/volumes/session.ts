/**
 * The steps around one chosen volume: find it again by name, copy its data folder into the scratch
 * folder, and check afterwards that the original is exactly as it was.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed, UsageError } from '../core/errors.js';
import { oneLine } from '../core/display.js';
import { freeBytesAt } from '../core/free-space.js';
import { formatBytes } from '../core/format.js';
import { copyTree, digestTree, type TreeDigest } from './copy.js';
import { volumeShownName, type FindResult, type VolumeReport } from './find.js';

/** A volume by its whole name, or a prefix of at least 6 characters naming only one. */
export function chooseVolume(found: FindResult, name: string): VolumeReport {
  const exact = found.volumes.find((v) => v.name === name);
  const matches = exact ? [exact] : name.length >= 6 ? found.volumes.filter((v) => v.name.startsWith(name)) : [];
  const best = found.candidates.slice(0, 3).map((c) => `${c.rank ?? '?'}. ${volumeShownName(c.name)}`);
  if (matches.length !== 1) {
    throw new UsageError(
      matches.length
        ? `"${name}" names ${matches.length} volumes`
        : `no volume "${name}" in ${found.source}${name.length < 6 ? ' (give at least 6 characters)' : ''}`,
      { hint: `give a whole volume name; the best PostgreSQL candidates are ${best.join(', ') || 'none'}` },
    );
  }
  const v = matches[0]!;
  if (v.kind === 'link')
    throw new UsageError(`volume ${oneLine(v.name)} was not read: ${v.detail}`, {
      hint: "a tenant's link is never followed out of Docker's storage; if what it leads to is the data, copy it by hand and give that folder with --volumes-root",
    });
  if (v.kind !== 'postgresql' || !v.postgres) {
    throw new UsageError(`volume ${v.name} holds no PostgreSQL data folder (${v.kind}: ${v.detail})`, {
      hint: `choose among the PostgreSQL candidates: ${best.join(', ') || 'none found'}`,
    });
  }
  return v;
}

/** The volume's PostgreSQL data folder. */
export function dataDirOf(v: VolumeReport): string {
  return v.postgres?.subdir ? join(v.path, v.postgres.subdir) : v.path;
}

export interface VolumeCopy {
  copyDir: string;
  original: string;
  /** The volume holding it: a hard-linked file is copied only when all its names are in it. */
  volume: string;
  digest: TreeDigest;
}

/** The folder a copy made at `now` goes in: <volume>-<time>. */
export function copyFolderName(volume: string, now: Date): string {
  return `${volume.slice(0, 24)}-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
}

/**
 * Copies the volume's data folder to SCRATCH/<volume>-<time>/data: root's, in folders of root's alone
 * (0700). A scratch server on it is given it for as long as it runs (systems/postgres/), then it is
 * root's again, so no later server, each of another account, reads a copy that is kept.
 */
export async function copyVolume(v: VolumeReport, scratchRoot: string, now: Date): Promise<VolumeCopy> {
  await requireRoom(v, scratchRoot);
  const dir = join(scratchRoot, copyFolderName(v.name, now));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const copyDir = join(dir, 'data');
  const original = dataDirOf(v);
  const digest = await copyTree(original, copyDir, { linkScope: v.path });
  await chmod(copyDir, 0o700);
  return { copyDir, original, volume: v.path, digest };
}

/** What a copy writes beyond its files' sizes: the server's own files while it runs on it (its log, crash recovery's WAL). */
const MARGIN = 1.1;
/** Left free on the scratch disk after the copy, which may hold the run's journal and the operator's own files. */
const RESERVE_BYTES = 256 * 1024 * 1024;

/**
 * Refuses a copy the scratch folder's disk would not hold, before a byte is written: the copy takes
 * its files' sizes, a sparse file its whole size (a tenant's file may claim terabytes on a few blocks).
 */
async function requireRoom(v: VolumeReport, scratchRoot: string): Promise<void> {
  const size = v.postgres?.sizeBytes ?? 0;
  const needed = Math.ceil(size * MARGIN + RESERVE_BYTES);
  const { folder, free } = await freeBytesAt(scratchRoot);
  if (free >= needed) return;
  throw new UsageError(
    `${folder} has ${formatBytes(free)} free; the copy of ${v.name}'s data folder takes its files' sizes, ${formatBytes(size)} (a sparse file its whole size), ${formatBytes(needed)} with a margin`,
    { hint: `nothing was copied; give --scratch a folder on a disk with room (df -h), or free space on ${folder}` },
  );
}

/** Throws when the original's digest differs from the one taken while copying. */
export async function checkOriginalUnchanged(original: string, digest: string, volume?: string): Promise<TreeDigest> {
  const now = await digestTree(original, volume);
  if (now.digest !== digest) {
    throw new StepFailed(`the original data folder ${original} changed since it was copied`, {
      hint: 'something else writes to this volume (a container still using it?); stop it, and copy again before trusting the copy',
    });
  }
  return now;
}
