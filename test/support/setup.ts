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
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { cpuSoFar } from './file-cpu.js';

/** The worker's CPU when the file starts: what its hooks, tests and the children they wait for add is the file's. */
const cpuAtStart = cpuSoFar();
// Registered first, so it runs after every other afterAll of the file (vitest runs them last to first), its cleanup's included.
// eslint-disable-next-line no-empty-pattern -- vitest reads a hook's first parameter as its fixtures, which must be a pattern; the file is the second
afterAll(({}, file) => {
  file.meta.cpuSeconds = Math.round((cpuSoFar() - cpuAtStart) * 100) / 100;
});

// A file that shares its worker with the files before it (vitest.config.ts) gets the project's
// modules and the tests' helpers anew, as a process of its own would: what one file's run left in
// a module (a cache, a redactor's secrets, a pool) never reaches the next. The packages under
// node_modules, which Node loads itself, stay loaded: most of what a file's imports cost.
vi.resetModules();
const { stopLeftovers } = await import('./leftovers.js');
const { isolateEnvironment } = await import('./test-environment.js');

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
