/**
 * The CPU a test file costs, measured in its worker (test/support/setup.ts) and printed at the end of a
 * pass (./cpu-reporter.ts): the worker's own CPU time and that of the child processes it waited for
 * (the command lines, PostgreSQL servers and clients, sshd, lzop a file starts and stops), from the
 * file's setup to its last hook. A pass on a 2-core machine is CPU-bound, so these, not the files' wall
 * times, say where a pass's time goes. What no file waited for is not in them: the servers shared by
 * the run's files (moto, etcd), vitest's own process, a process a file left to another.
 */
import { readFileSync } from 'node:fs';
import { statFields } from '../../src/core/process-start.js';

declare module 'vitest' {
  interface TaskMeta {
    /** The file's CPU seconds: its worker's and its reaped children's (file-cpu.ts). */
    cpuSeconds?: number;
  }
}

/** Clock ticks per second of /proc's times: USER_HZ, 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** utime, stime, cutime and cstime of /proc/self/stat, in seconds: this process's CPU and its reaped children's. */
export function cpuSoFar(stat = readFileSync('/proc/self/stat', 'utf8')): number {
  const fields = statFields(stat);
  // Fields 14 to 17 of proc(5), counted from the state (field 3) here.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / USER_HZ;
}
