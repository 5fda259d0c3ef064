/** When a process started, which with its PID names one process, whatever later process the kernel gives that PID. */
import { readFileSync } from 'node:fs';

export interface ProcessStat {
  /** Its start in clock ticks since boot (field 22 of /proc/PID/stat). */
  start: string;
  /** Exited, its parent yet to collect its status (a zombie, state Z): it keeps its PID and start, and holds nothing. */
  exited: boolean;
}

/**
 * The fields of a /proc/PID/stat line from the state (field 3 of proc(5)) on: the command name (field 2)
 * is in parentheses and may hold spaces or ')', so they are counted from after the last one.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** What /proc/PID/stat says of process `pid`, or undefined when it cannot be read (no such process) or holds no start. */
export function processStat(pid: number): ProcessStat | undefined {
  try {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const start = fields[19];
    return start === undefined ? undefined : { start, exited: fields[0] === 'Z' };
  } catch {
    return undefined;
  }
}

/** The start of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it cannot be read. */
export function processStart(pid: number): string | undefined {
  return processStat(pid)?.start;
}
