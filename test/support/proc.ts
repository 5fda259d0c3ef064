/**
 * What the kernel's /proc says of the processes a test watches. A process may end between any two
 * reads (the listing of /proc and the read of its file, or the existence check and the read): its
 * files then read as empty, never as an error that fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The text of `/proc/PID/FILE`, or '' once the process is gone. */
export function procFile(pid: number | string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** The PIDs /proc lists now. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** The process runs: it is there, and not a zombie its parent has yet to reap. */
export function running(pid: number): boolean {
  const status = procFile(pid, 'status');
  return status !== '' && !/^State:\s+Z/m.test(status);
}

/** `pid` and every process under it now, from the kernel's lists of children. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${all[i]}/task`);
    } catch {
      // Gone meanwhile: no children to follow.
    }
    for (const t of tasks)
      for (const c of procFile(all[i]!, `task/${t}/children`).split(/\s+/).filter(Boolean).map(Number)) if (!all.includes(c)) all.push(c);
  }
  return all;
}
