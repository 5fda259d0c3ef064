/**
 * How the tests end a server they started as a child process: SIGTERM, then SIGKILL if it has not
 * exited within a grace period (a server busy or wedged must not hold a file's teardown until the hook
 * times out), and the promise settles only once the process has exited.
 */
import type { ChildProcess } from 'node:child_process';

/** Ends CHILD: SIGTERM, SIGKILL after `graceMs`; resolves once it has exited (at once if it had). */
export function endChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
