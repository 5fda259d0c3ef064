/**
 * A test run's folders in memory: its own folder (the workers' HOME, XDG folders, the tool's runs and
 * journals) and its temporary folder, each a tmpfs of its own (suite-setup.ts), which the run's teardown
 * unmounts with the folder (server-registry.ts unmountUnder), as the next run's setup does for a run
 * killed outright.
 *
 * Why: the tests make and remove hundreds of thousands of files (base backups extracted, clusters
 * copied, WAL served). On this machine's ext4 (mounted with `discard`) each new file made the kernel
 * search for an inode not recently freed: a quarter of the restore matrix's worker's CPU was in
 * ext4_create, and every journal event of a live run waits for an fsync. In memory that file took 74 s
 * instead of 111 s, and a whole pass 812 s instead of 921 s. A pass held at most 0.8 GB in them at once.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Set to 0, the run's folders stay on disk. */
export const IN_MEMORY_VAR = 'DINGO_TEST_TMPFS';

/** Below this much available memory the folders stay on disk: a pass holds up to 0.8 GB in them, its servers beside them more. */
const LEAST_AVAILABLE = 4 * 2 ** 30;

/** MemAvailable of /proc/meminfo, in bytes; 0 when it cannot be read. */
function availableMemory(): number {
  try {
    const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Mounts a tmpfs on DIR (an empty folder), its root of MODE, at most half the available memory in
 * size: undefined when it did, else why the folder stays on disk.
 */
export function mountInMemory(dir: string, mode: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[IN_MEMORY_VAR] === '0') return `${IN_MEMORY_VAR}=0`;
  if (process.getuid?.() !== 0) return 'only root may mount a tmpfs';
  const available = availableMemory();
  if (available < LEAST_AVAILABLE) return `${gib(available)} of memory is available, less than the ${gib(LEAST_AVAILABLE)} it takes`;
  const size = Math.floor(available / 2);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${String(size)},mode=${mode.toString(8)},nosuid,nodev`, 'dingo-test-tmp', dir], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || `exit ${String(r.status)}`).trim()}`;
  return undefined;
}
