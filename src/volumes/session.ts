/**
 * The steps around one chosen volume: find it again by name, copy its data folder into the scratch
 * folder, and check afterwards that the original is exactly as it was.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StepFailed, UsageError } from '../core/errors.js';
import { scratchAccount } from '../systems/scratch-account.js';
import { copyTree, digestTree, type TreeDigest } from './copy.js';
import type { FindResult, VolumeReport } from './find.js';

/** A volume by its whole name, or a prefix of at least 6 characters naming only one. */
export function chooseVolume(found: FindResult, name: string): VolumeReport {
  const exact = found.volumes.find((v) => v.name === name);
  const matches = exact ? [exact] : name.length >= 6 ? found.volumes.filter((v) => v.name.startsWith(name)) : [];
  const best = found.candidates.slice(0, 3).map((c) => `${c.rank ?? '?'}. ${c.name.slice(0, 12)}`);
  if (matches.length !== 1) {
    throw new UsageError(
      matches.length
        ? `"${name}" names ${matches.length} volumes`
        : `no volume "${name}" in ${found.source}${name.length < 6 ? ' (give at least 6 characters)' : ''}`,
      { hint: `give a whole volume name; the best PostgreSQL candidates are ${best.join(', ') || 'none'}` },
    );
  }
  const v = matches[0]!;
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

/** Copies the volume's data folder to SCRATCH/<volume>-<time>/data, owned by the account the server runs as. */
export async function copyVolume(v: VolumeReport, scratchRoot: string, now: Date): Promise<VolumeCopy> {
  const dir = join(scratchRoot, copyFolderName(v.name, now));
  await mkdir(dir, { recursive: true });
  // The server account must reach the copy through these folders.
  await chmod(scratchRoot, 0o755);
  await chmod(dir, 0o755);
  const account = scratchAccount();
  await checkReachable(dirname(scratchRoot), account);
  const copyDir = join(dir, 'data');
  const original = dataDirOf(v);
  const digest = await copyTree(original, copyDir, { owner: { uid: account.uid, gid: account.gid }, linkScope: v.path });
  await chmod(copyDir, 0o700);
  return { copyDir, original, volume: v.path, digest };
}

/** Throws, before anything is copied, when the server account cannot pass through a folder above the copy. */
async function checkReachable(from: string, account: { uid: number; name: string }): Promise<void> {
  for (let d = from; ; d = dirname(d)) {
    const st = await stat(d);
    if (st.uid !== account.uid && (st.mode & 0o001) === 0) {
      throw new UsageError(
        `the ${account.name} account that runs the throwaway server cannot pass through ${d} (mode ${(st.mode & 0o777).toString(8)})`,
        {
          hint: `choose a scratch folder it can reach (e.g. under /var/tmp), or allow it: chmod o+x ${d}`,
        },
      );
    }
    if (dirname(d) === d) return;
  }
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
