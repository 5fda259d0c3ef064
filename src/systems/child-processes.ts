/**
 * Every program this tool starts goes with it. A child still running when the process exits
 * (done, a failure, Ctrl-C, SIGTERM, a hang-up, a closed output: every way but SIGKILL) is killed
 * at the exit, with everything it started in turn: a program of ours that another started
 * (`sh -c`, ssh's proxy, the sandbox's init and its server) is found through the kernel's list of
 * each process's children (`/proc/PID/task/TID/children`), so none is left orphaned to run on. One
 * that cleans up after itself (v2's shared `bosh ssh`) is asked to end instead (SIGTERM), and does.
 * A child that must outlive the tool (a container's watchdog, which removes the container once the
 * tool is gone) is simply not given here.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const REGISTRY = Symbol.for('dingo-recover.child-processes');

/**
 * The children given here that have not exited yet, by PID (`live`), those of them asked to end (SIGTERM)
 * rather than killed (`gentle`: they clean up after themselves), and whether the process's exit kills them
 * yet. One per process, however many times this module is loaded in it (a test worker loads it anew for each
 * file it runs): one exit hook, not one more per load.
 */
interface Children {
  live: Set<number>;
  gentle: Set<number>;
  hooked: boolean;
}
const children = ((globalThis as { [REGISTRY]?: Children })[REGISTRY] ??= {
  live: new Set<number>(),
  gentle: new Set<number>(),
  hooked: false,
});
const { live, gentle } = children;

/** The PIDs `pid`'s threads forked, as the kernel lists them; none once it is gone. */
function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/** `pid` and every process under it, each parent before its children. */
function treeOf(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) for (const child of childrenOf(all[i]!)) if (!all.includes(child)) all.push(child);
  return all;
}

/** Kills every child given here that still runs, and all under it; asks a gentle one to end. */
function killLeft(): void {
  for (const pid of gentle) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const pid of live) {
    if (gentle.has(pid)) continue;
    // Parents first: one killed cannot start another while its children are killed.
    for (const p of treeOf(pid)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }
  live.clear();
  gentle.clear();
}

/**
 * Puts `child` among those the process's exit kills (with all under it) should it still run then; returns it.
 * `gently`: it is sent SIGTERM instead, and ends itself and what it started (`bosh ssh` has the director remove
 * its session's user first, which a kill would leave on the cell).
 */
export function endsWithUs<T extends ChildProcess>(child: T, gently = false): T {
  const pid = child.pid;
  if (pid === undefined) return child;
  live.add(pid);
  if (gently) gentle.add(pid);
  child.once('exit', () => {
    live.delete(pid);
    gentle.delete(pid);
  });
  if (!children.hooked) {
    children.hooked = true;
    process.once('exit', killLeft);
  }
  return child;
}
