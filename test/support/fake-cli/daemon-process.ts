/**
 * Starts a fake command's daemon (./command-daemon.ts): `entry` bundled into `dir` and run by node on
 * `socket`. Its standard input is this process's to hold: the daemon ends on `stop()`, after the test
 * file when it was not stopped (../leftovers.ts), or when this process ends, whichever comes first.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { leftover } from '../leftovers.js';
import { bundleScript } from './bundle.js';

export interface DaemonProcess {
  pid: number;
  /** Ends the daemon at once. */
  stop(): void;
}

/** How long a daemon may take to listen: a node start and a bundle's load. */
const READY_MS = 30_000;

export async function startDaemon(entry: string, dir: string, socket: string): Promise<DaemonProcess> {
  const bundle = join(dir, `${socket.slice(socket.lastIndexOf('/') + 1)}.mjs`);
  bundleScript(entry, bundle);
  const daemon = spawn(process.execPath, [bundle, socket], { stdio: ['pipe', 'pipe', 'inherit'] });
  let stopped = false;
  // A test file that never stops it (a set-up that threw after it) has it stopped after the file.
  const forget = leftover(() => {
    stop();
  });
  const stop = (): void => {
    forget();
    stopped = true;
    daemon.stdin.destroy();
    daemon.kill('SIGKILL');
  };
  try {
    await new Promise<void>((ready, failed) => {
      const timer = setTimeout(() => {
        failed(new Error(`the daemon of ${entry} did not listen within ${String(READY_MS)} ms`));
      }, READY_MS);
      daemon.stdout.once('data', () => {
        clearTimeout(timer);
        ready();
      });
      daemon.once('exit', (code, signal) => {
        clearTimeout(timer);
        failed(new Error(`the daemon of ${entry} ended before it listened (${signal ?? `exit ${String(code)}`})`));
      });
      daemon.once('error', failed);
    });
  } catch (err) {
    stop();
    throw err;
  }
  // Said when it happens: the commands the test sends it next fail as "cannot connect".
  daemon.on('exit', (code, signal) => {
    if (!stopped)
      process.stderr.write(`the daemon of ${entry} (pid ${String(daemon.pid)}) ended unasked: ${signal ?? `exit ${String(code)}`}\n`);
  });
  // It must not keep this process alive: a test that never stops it ends it by ending.
  daemon.unref();
  daemon.stdout.destroy();
  (daemon.stdin as unknown as { unref?: () => void }).unref?.();
  return { pid: daemon.pid!, stop };
}
