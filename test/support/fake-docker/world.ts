/** Sets up the fake Docker daemon of a cell for tests: its state file, and its process (../fake-cli/command-daemon.ts). */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CellWorld } from '../../../src/rehearsal/cell-sim.js';
import { startDaemon } from '../fake-cli/daemon-process.js';
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
  const socket = join(dir, 'docker.sock');
  const daemon = await startDaemon(entry, dir, socket).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    host: `unix://${socket}`,
    file,
    pid: daemon.pid,
    read: () => JSON.parse(readFileSync(file, 'utf8')) as CellWorld,
    write,
    remove: () => {
      daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
