/**
 * What the kernel's /proc says of the processes a test watches. A process may end between any two
 * reads (the listing of /proc and the read of its file, or the existence check and the read): its
 * files then read as empty, never as an error that fails the test.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { processStat } from '../../src/core/process-start.js';

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
  return processStat(pid)?.exited === false;
}

/**
 * A process that has exited and stays a zombie: the child of a `sleep` that never collects it. The child
 * exits only once its parent shell has become that `sleep` (a shell may collect a child that ends before
 * its `exec`). `end` kills the sleep, whose own parent (the test) collects it, and the zombie goes with it
 * (init collects it).
 */
export async function zombie(): Promise<{ pid: number; end: () => void }> {
  const untilExec = '(while [ "$(cat /proc/$$/comm)" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 60';
  const parent = spawn('sh', ['-c', untilExec], { stdio: ['ignore', 'pipe', 'ignore'] });
  const end = (): void => {
    parent.kill('SIGKILL');
  };
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => {
        resolve(Number(d.toString().trim()));
      });
      parent.once('error', reject);
    });
    for (let i = 0; i < 200 && processStat(pid)?.exited !== true; i++) await new Promise((r) => setTimeout(r, 25));
    if (processStat(pid)?.exited !== true) throw new Error(`process ${String(pid)} did not become a zombie`);
    return { pid, end };
  } catch (err) {
    end();
    throw err;
  }
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
