/**
 * Vitest's global setup for the workers' environment folders (test-environment.ts): one folder for
 * this run, in vitest's main process, given to the workers through the environment; each worker
 * makes its own inside it, and the folder goes at the run's end whatever became of the workers (a
 * file whose tests are all skipped runs no afterAll, and a worker stopped by a signal runs none).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV_PARENT_VAR } from './test-environment.js';

export default function setup(): () => void {
  const parent = mkdtempSync(join(tmpdir(), 'dr-test-run-'));
  process.env[ENV_PARENT_VAR] = parent;
  const remove = (): void => {
    rmSync(parent, { recursive: true, force: true });
  };
  // A run stopped by SIGINT or SIGTERM exits from servers-setup.ts's handler, without the teardown.
  process.once('exit', remove);
  return () => {
    process.off('exit', remove);
    remove();
  };
}
