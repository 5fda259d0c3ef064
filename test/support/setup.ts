/**
 * Set up before every test file. Every test process (and every CLI it starts) runs as if started
 * from a shell, not by npm or npx: the CLI prints `npx dingo-recover` in its hints when npx started
 * it, and `npm test` or `npx vitest` must not decide what the tests see. It reads none of the
 * developer's own settings or runs (test-environment.ts): HOME, the XDG folders, the AWS, cf, BOSH
 * and Docker settings are folders of its own, and no variable of theirs that the tool or those
 * clients read is set. What a test changes in the environment is put back after it, and what a file
 * changed (its `beforeAll`) after the file. And whatever a test file started and did not stop (a setup
 * that failed half-way) is stopped after it.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { cpuSoFar } from './file-cpu.js';
import { stopLeftovers } from './leftovers.js';
import { isolateEnvironment } from './test-environment.js';

/** The worker's CPU when the file starts: what its hooks, tests and the children they wait for add is the file's. */
const cpuAtStart = cpuSoFar();
// Registered first, so it runs after every other afterAll of the file (vitest runs them last to first), its cleanup's included.
// eslint-disable-next-line no-empty-pattern -- vitest reads a hook's first parameter as its fixtures, which must be a pattern; the file is the second
afterAll(({}, file) => {
  file.meta.cpuSeconds = Math.round((cpuSoFar() - cpuAtStart) * 100) / 100;
});

// A file that shares its worker with the files before it (vitest.config.ts) keeps the modules they loaded, the
// project's own included: evaluating them anew for each file was a fifth of the shared files' CPU-seconds (all
// 312 alone: 564 CPU-s with `vi.resetModules()` here, 452 without). What a module keeps is the process's, as in
// an operator's process: caches keyed by what they cache, the process-wide invocation and exit cleanup. What a
// file changes beyond that is put back after it: the environment (below), its spies and stubs (restored by the
// files that make them), its leftovers (leftovers.ts). A file that replaces a module (`vi.mock`) gets a process
// of its own.
/** The environment as the file found it, put back after it: what its `beforeAll` set never reaches the next file. */
const atStart = { ...process.env };
const home = isolateEnvironment(process.env);

/** Makes `process.env` hold exactly `vars`. */
function restoreEnv(vars: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in vars)) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, vars);
}

/**
 * The process's own environment object. A test that puts another object in its place (`process.env =
 * saved`) fails: what read the environment before (the command line's own invocation, core/invocation.ts)
 * keeps reading the old object, in the next files of a shared worker too (vitest.config.ts).
 */
const processEnv = process.env;
let before: NodeJS.ProcessEnv = {};
beforeEach(() => {
  before = { ...process.env };
});
afterEach(() => {
  const replaced = process.env !== processEnv;
  process.env = processEnv;
  restoreEnv(before);
  if (replaced) throw new Error('the test put another object in the place of process.env: change the variables in place');
});

afterAll(async () => {
  try {
    await stopLeftovers();
  } finally {
    rmSync(home, { recursive: true, force: true });
    restoreEnv(atStart);
  }
});
