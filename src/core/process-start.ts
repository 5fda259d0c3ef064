/** When a process started, which with its PID names one process, whatever later process the kernel gives that PID. */
import { readFileSync } from 'node:fs';

/** The start of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it cannot be read. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or ')': count from after the last one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
