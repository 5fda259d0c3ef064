/** Sets up the state a fake docker "daemon" serves, for tests. */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CellWorld } from '../../../src/rehearsal/cell-sim.js';
import { bundleScript } from '../fake-cli/bundle.js';
import { withStateLock, writeStateFile } from '../fake-cli/locked-state.js';

export const FAKE_DOCKER = resolve(import.meta.dirname, 'docker');

export interface FakeDaemon {
  /** `unix://…/docker.sock`, to pass as CellDocker's host. */
  host: string;
  /** The state file next to the socket path. */
  file: string;
  read(): CellWorld;
  write(state: CellWorld): void;
  remove(): void;
}

/**
 * A daemon folder holding `state` and the docker client bundled from `client` (default: the
 * plain simulator; the live end-to-end test bundles one that also restores on start).
 */
export function fakeDaemon(state: CellWorld, client = resolve(import.meta.dirname, 'main.ts')): FakeDaemon {
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
  bundleScript(client, join(dir, 'fake-docker.mjs'));
  return {
    host: `unix://${join(dir, 'docker.sock')}`,
    file,
    read: () => JSON.parse(readFileSync(file, 'utf8')) as CellWorld,
    write,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
