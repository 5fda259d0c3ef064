/**
 * One driver per run. The lock file names its holder (host, pid, start time); a
 * second driver is refused with those facts (RunLocked, exit 75). A lock left by a
 * dead process on this host is taken over; one from another host needs --steal-lock.
 * A lock taken over is renamed to `lock.taken-over-<ms>` and kept; the driver
 * journals the take-over from `takenOver`.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { RunLocked } from '../../core/errors.js';
import { readInputFile } from '../../core/input-file.js';
import { fsUsageError } from '../journal/fs-errors.js';
import { processStart } from '../../core/process-start.js';
import { holds, parseHolder, type LockInfo } from './lock-holder.js';
import { errnoCode } from '../../core/errors.js';
import { operatorText, processOperator } from '../../core/operator-identity.js';
import type { Clock } from '../../core/runtime.js';

/** What acquiring a lock took over: a dead holder's lock ('stale') or a live or remote one (--steal-lock). */
export interface TakeOver {
  how: 'stale' | 'steal';
  /** The holder the lock file named; null when the file was torn or unreadable as a lock. */
  previous: LockInfo | null;
}

/** Creates the lock file naming `mine`; false when one exists already. */
function tryCreate(file: string, mine: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw fsUsageError(err, 'create the run lock', file);
  }
  try {
    writeSync(fd, JSON.stringify(mine) + '\n');
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      // an empty lock file reads as torn, and is taken over
    }
    throw fsUsageError(err, 'write the run lock', file);
  }
  closeSync(fd);
  return true;
}

/** A lock file names one holder in a line of JSON. */
const MAX_LOCK_BYTES = 64 * 1024;

/**
 * The lock file's text, or null when it is gone (its holder released it just now). A lock that is
 * not a file (a FIFO, a folder, a device put in its place) is refused, never waited on.
 */
function readLockFile(file: string): string | null {
  try {
    return readInputFile(file, {
      what: 'run lock',
      maxBytes: MAX_LOCK_BYTES,
      hint: `the run lock must be a small file this tool wrote: move ${file} aside (it is not one), then try again`,
    });
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined;
    if (errnoCode(cause) === 'ENOENT') return null;
    if (cause !== undefined) throw fsUsageError(cause, 'read the run lock', file);
    throw err;
  }
}

function lockedBy(holder: LockInfo, file: string, mine: LockInfo): RunLocked {
  return new RunLocked(
    `this run is being driven by ${holder.by} (host ${holder.host}, pid ${holder.pid}, since ${holder.startedAt}); its lock is ${file}`,
    {
      hint:
        holder.host === mine.host
          ? `wait for that process to finish, or stop it (kill ${holder.pid}), then try again; only if it does not drive this run any more, add --steal-lock`
          : 'if that operator has really stopped (their machine is gone), add --steal-lock to take the run over; the take-over is journaled',
    },
  );
}

/** Moves the lock file aside to `<lock>.taken-over-<ms>`; null when it is gone (released or taken over just now). */
function moveAside(file: string, now: Date): string | null {
  const kept = `${file}.taken-over-${now.getTime()}`;
  try {
    renameSync(file, kept);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw fsUsageError(err, 'move aside the run lock', file);
  }
  return kept;
}

/**
 * The PID of the process of this host that holds the lock `file` now, else null: a lock that is
 * gone, torn, not a file, another host's, or left by a process that ended holds nothing.
 */
export function livePid(file: string): number | null {
  let text: string | null;
  try {
    text = readLockFile(file);
  } catch {
    return null;
  }
  const holder = text === null ? null : parseHolder(text);
  return holder && holder.host === hostname() && holds(holder) ? holder.pid : null;
}

export class RunLock {
  private constructor(
    readonly file: string,
    /** What this lock took over, for the journal's `lock.taken` event; null when the lock was free. */
    readonly takenOver: TakeOver | null,
    /** Where the lock file taken over was moved (kept, never deleted). */
    readonly keptAt: string | null,
  ) {}

  /**
   * `clock`: the run's, for when the lock was taken and the name a lock taken over is kept under.
   * `refusal`: the error naming a live holder, for a lock that guards something other than a run;
   * `raced`: the error when others kept taking the lock at the same moment, for such a lock.
   */
  static acquire(
    file: string,
    opts: {
      steal?: boolean;
      clock: Clock;
      refusal?: (holder: LockInfo, file: string) => RunLocked;
      raced?: (file: string) => RunLocked;
    },
  ): RunLock {
    const started = processStart(process.pid);
    const mine: LockInfo = {
      host: hostname(),
      pid: process.pid,
      by: operatorText(processOperator()),
      startedAt: opts.clock.now().toISOString(),
      ...(started === undefined ? {} : { processStart: started }),
    };
    let takenOver: TakeOver | null = null;
    let keptAt: string | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryCreate(file, mine)) return new RunLock(file, takenOver, keptAt);
      const text = readLockFile(file);
      if (text === null) continue;
      const holder = parseHolder(text);
      const stale = holder === null || (holder.host === mine.host && !holds(holder));
      if (!stale && !opts.steal) throw opts.refusal ? opts.refusal(holder, file) : lockedBy(holder, file, mine);
      const kept = moveAside(file, opts.clock.now());
      if (kept === null) continue;
      takenOver = { how: stale ? 'stale' : 'steal', previous: holder };
      keptAt = kept;
    }
    if (opts.raced) throw opts.raced(file);
    throw new RunLocked(`could not take the run lock ${file}`, {
      hint: 'another process took it at the same moment; try again, and the message names who drives the run (or add --steal-lock)',
    });
  }

  release(): void {
    try {
      const text = readLockFile(this.file);
      const holder = text === null ? null : parseHolder(text);
      if (holder && holder.pid === process.pid && holder.host === hostname()) unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
