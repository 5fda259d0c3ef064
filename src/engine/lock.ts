/**
 * One driver per run. The lock file names its holder (host, pid, start time); a
 * second driver is refused with those facts. A lock left by a dead process on this
 * host is taken over; one from another host needs --steal-lock.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { operatorName } from './journal.js';
import { StepFailed } from './errors.js';

export interface LockInfo {
  host: string;
  pid: number;
  by: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunLock {
  private constructor(readonly file: string) {}

  static acquire(file: string, opts: { steal?: boolean } = {}): RunLock {
    const mine: LockInfo = { host: hostname(), pid: process.pid, by: operatorName(), startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, JSON.stringify(mine) + '\n');
        closeSync(fd);
        return new RunLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: LockInfo | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      } catch {
        holder = null; // a torn lock file: its writer died while writing it
      }
      const stale = holder === null || (holder.host === mine.host && !alive(holder.pid));
      if (!stale && !opts.steal) {
        throw new StepFailed(
          `this run is being driven by ${holder!.by} (host ${holder!.host}, pid ${holder!.pid}, since ${holder!.startedAt})`,
          {
            hint:
              holder!.host === mine.host
                ? 'wait for that process to finish, or stop it, then resume'
                : 'if that operator has really stopped (their machine is gone), resume with --steal-lock',
          },
        );
      }
      renameSync(file, `${file}.taken-over-${Date.now()}`);
    }
    throw new StepFailed(`could not take the lock ${file}`, { hint: 'another process took it at the same moment; try again' });
  }

  release(): void {
    try {
      const holder = JSON.parse(readFileSync(this.file, 'utf8')) as LockInfo;
      if (holder.pid === process.pid && holder.host === hostname()) unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
