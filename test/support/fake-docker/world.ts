/** Sets up the fake Docker daemon of a cell for tests: its state file, and its process (./daemon.ts). */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CellWorld } from '../../../src/rehearsal/cell-sim.js';
import { bundleScript } from '../fake-cli/bundle.js';
import { withStateLock, writeStateFile } from '../fake-cli/locked-state.js';

/** The `docker` client the cell runs: it sends each command to the daemon at its --host. */
export const FAKE_DOCKER = resolve(import.meta.dirname, 'docker');

export interface FakeDaemon {
  /** `unix://…/docker.sock`, to pass as CellDocker's host. */
  host: string;
  /** The state file next to the socket. */
  file: string;
  /** The daemon's process. */
  pid: number;
  read(): CellWorld;
  write(state: CellWorld): void;
  /** Stops the daemon and removes its folder. */
  remove(): void;
}

/** How long a daemon may take to listen: a node start and a bundle's load. */
const READY_MS = 30_000;

/**
 * A daemon folder holding `state`, and the daemon serving it on its socket: `entry` (default: the
 * plain simulator, ./main.ts; the live case's cell is ../live/cell-docker.ts) bundled and started.
 * The daemon ends when `remove()` is called or this process ends, whichever comes first.
 */
export async function fakeDaemon(state: CellWorld, entry = resolve(import.meta.dirname, 'main.ts')): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'dingo-docker-'));
  // The cell's test user runs the client without sudo in some tests.
  chmodSync(dir, 0o777);
  const file = join(dir, 'cell-world.json');
  const write = (s: CellWorld): void => {
    withStateLock(file, () => {
      writeStateFile(file, JSON.stringify(s, null, 2));
    });
  };
  write(state);
  const bundle = join(dir, 'dockerd.mjs');
  bundleScript(entry, bundle);
  const socket = join(dir, 'docker.sock');
  // Its standard input is this process's to hold: when it closes, the daemon ends.
  const daemon = spawn(process.execPath, [bundle, socket], { stdio: ['pipe', 'pipe', 'inherit'] });
  const remove = (): void => {
    daemon.stdin.destroy();
    daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((ready, failed) => {
      const timer = setTimeout(() => {
        failed(new Error(`the fake Docker daemon did not listen within ${String(READY_MS)} ms`));
      }, READY_MS);
      daemon.stdout.once('data', () => {
        clearTimeout(timer);
        ready();
      });
      daemon.once('exit', (code, signal) => {
        clearTimeout(timer);
        failed(new Error(`the fake Docker daemon ended before it listened (${signal ?? `exit ${String(code)}`})`));
      });
      daemon.once('error', failed);
    });
  } catch (err) {
    remove();
    throw err;
  }
  // It must not keep this process alive: a test that never removes it ends it by ending.
  daemon.unref();
  daemon.stdout.destroy();
  (daemon.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    host: `unix://${socket}`,
    file,
    pid: daemon.pid!,
    read: () => JSON.parse(readFileSync(file, 'utf8')) as CellWorld,
    write,
    remove,
  };
}
