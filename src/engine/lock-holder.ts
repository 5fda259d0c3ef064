/** Who holds a run's lock, as its lock file says, and whether that process is still alive. */
import { isRecord, errnoCode } from './narrow.js';

export interface LockInfo {
  host: string;
  pid: number;
  by: string;
  startedAt: string;
}

/**
 * Whether a process of this host is alive (one we may not signal is). Only a positive PID names a
 * process: kill(0) and kill(-n) would ask about whole process groups.
 */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** The holder a lock file names, or null when it is torn or not a lock. */
export function parseHolder(text: string): LockInfo | null {
  let h: unknown;
  try {
    h = JSON.parse(text);
  } catch {
    return null; // a torn lock file: its writer died while writing it
  }
  if (
    isRecord(h) &&
    typeof h.host === 'string' &&
    typeof h.pid === 'number' &&
    Number.isInteger(h.pid) &&
    h.pid > 0 &&
    typeof h.by === 'string' &&
    typeof h.startedAt === 'string'
  ) {
    return { host: h.host, pid: h.pid, by: h.by, startedAt: h.startedAt };
  }
  return null;
}
