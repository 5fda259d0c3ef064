/**
 * Vitest's global setup: the client of the fake commands' daemons (fake-cli/command-client.c), which
 * the fake cf, bosh and the cells' docker run, built with gcc into
 * fake-cli/command-client when it is missing or older than its source. Written beside as this
 * process's part (parts.ts) and renamed into place, so a run that starts meanwhile never runs half a
 * program.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { oncePerRun } from './once-per-run.js';
import { partOf } from './parts.js';

const SOURCE = fileURLToPath(new URL('fake-cli/command-client.c', import.meta.url));
export const COMMAND_CLIENT = fileURLToPath(new URL('fake-cli/command-client', import.meta.url));

function setup(): undefined {
  const built = statSync(COMMAND_CLIENT, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (statSync(SOURCE).mtimeMs <= built) return;
  const part = partOf(COMMAND_CLIENT);
  const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', part, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(part, { force: true });
    const why = r.error ? `${r.error.message} (install gcc: apt-get install gcc libc6-dev)` : r.stderr.trim();
    throw new Error(`could not build the fake commands' client from ${SOURCE}: ${why}`);
  }
  // Run by the cells' users too, whatever this process's umask.
  chmodSync(part, 0o755);
  renameSync(part, COMMAND_CLIENT);
}

export default oncePerRun('command-client', setup);
