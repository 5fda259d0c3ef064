/**
 * A disk of a test's own size: a tmpfs mounted on a new folder for as long as `use` runs, and unmounted
 * whatever `use` does (the suite runs as root, as .ci/run does). Sized in bytes and, with `files`, in
 * files (`nr_inodes`): a disk with the room in bytes but few files fills as an archive is extracted on
 * it, as a disk another program filled meanwhile does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export interface SmallDisk {
  /** tmpfs's `size=`, e.g. "64m". */
  size: string;
  /** How many files and folders it holds, its root included. */
  files?: number;
  /** Its root's mode: 0700 unless said (a temp folder's is 1777). */
  mode?: string;
}

export async function onSmallDisk<T>(dir: string, disk: SmallDisk, use: (dir: string) => Promise<T>): Promise<T> {
  mkdirSync(dir);
  const options = [`size=${disk.size}`, ...(disk.files ? [`nr_inodes=${String(disk.files)}`] : []), `mode=${disk.mode ?? '0700'}`];
  execFileSync('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
  try {
    return await use(dir);
  } finally {
    execFileSync('umount', [dir]);
  }
}
