/** Who holds a run's lock, as its lock file says, and whether that process still holds it. */
import { isRecord } from '../../core/json.js';
import { errnoCode } from '../../core/errors.js';
import { processStat } from '../../core/process-start.js';

export interface LockInfo {
  host: string;
  pid: number;
  by: string;
  startedAt: string;
  /**
   * When the holder's process started, in clock ticks since boot (/proc/PID/stat): with the PID it
   * names one process, whatever later process the PID is handed to. Absent off Linux and in locks of
   * older versions.
   */
  processStart?: string;
}

/**
 * Whether the process a lock of this host names still holds it: alive, and the very process that
 * took it (its start time the lock's). A lock naming PID 1 (init) or a PID handed since to another
 * program is not held, nor one that has exited (its parent yet to collect it); where start times
 * cannot be compared, a live process other than PID 1 is.
 */
export function holds(holder: LockInfo): boolean {
  if (!alive(holder.pid)) return false;
  const now = processStat(holder.pid);
  // Exited, its parent yet to collect its status: it holds nothing.
  if (now?.exited) return false;
  if (holder.processStart !== undefined && now !== undefined) return now.start === holder.processStart;
  return holder.pid !== 1;
}

/**
 * Whether a process of this host is alive (one we may not signal is). Only a positive PID names a
 * process: kill(0) and kill(-n) would ask about whole process groups.
 */
function alive(pid: number): boolean {
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
    const started = typeof h.processStart === 'string' ? { processStart: h.processStart } : {};
    return { host: h.host, pid: h.pid, by: h.by, startedAt: h.startedAt, ...started };
  }
  return null;
}
