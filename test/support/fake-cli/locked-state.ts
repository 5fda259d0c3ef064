/**
 * JSON state files that several fake processes change at once (two `cf create-service` of one
 * run, the broker hook and the cell's docker): each change is a read-modify-write under an
 * exclusive lock, and lands with write-then-rename so a reader without the lock never sees half
 * a file.
 *
 * The lock is flock(2) on `FILE.lock`, taken by util-linux `flock` on a descriptor this process
 * keeps: the kernel drops it when the process ends, so a killed process leaves no stale lock.
 * Synchronous, for the simulator hooks and the fake docker daemon, which are. The lock file is opened
 * read-only, so a process of any user can lock a file another user created (the cell's docker runs
 * under sudo, the broker hook as the test user).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** How long a process waits for another one's change before it gives up. */
const LOCK_TIMEOUT_S = 60;

const lockPathOf = (file: string): string => `${file}.lock`;

/** Takes the lock of `file`; the returned function releases it. */
export function lockState(file: string): () => void {
  const fd = openSync(lockPathOf(file), constants.O_RDONLY | constants.O_CREAT, 0o666);
  const r = spawnSync('flock', ['--exclusive', '--timeout', String(LOCK_TIMEOUT_S), '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    closeSync(fd);
    const why = r.error ? r.error.message : `flock exited ${String(r.status)}: ${r.stderr.trim()}`;
    throw new Error(`could not lock ${file} within ${String(LOCK_TIMEOUT_S)} s (${why})`);
  }
  return () => {
    closeSync(fd);
  };
}

/** Runs `change` while holding the lock of `file`. */
export function withStateLock<T>(file: string, change: () => T): T {
  const release = lockState(file);
  try {
    return change();
  } finally {
    release();
  }
}

/** Replaces `file` at once (write-then-rename), readable and writable by every user. */
export function writeStateFile(file: string, text: string): void {
  const tmp = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(tmp, text);
  chmodSync(tmp, 0o666);
  renameSync(tmp, file);
}

/** Reads the JSON state in `file`, lets `change` modify it, saves it: all under the lock. */
export function updateState<S, T>(file: string, change: (state: S) => T): T {
  return withStateLock(file, () => {
    const state = JSON.parse(readFileSync(file, 'utf8')) as S;
    const result = change(state);
    writeStateFile(file, JSON.stringify(state, null, 2));
    return result;
  });
}
