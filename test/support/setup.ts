/**
 * Set up before every test file. Every test process (and every CLI it starts) runs as if started
 * from a shell, not by npm or npx: the CLI prints `npx dingo-recover` in its hints when npx started
 * it, and `npm test` or `npx vitest` must not decide what the tests see. It reads none of the
 * developer's own settings or runs (test-environment.ts): HOME, the XDG folders, the AWS, cf, BOSH
 * and Docker settings are folders of its own, and no variable of theirs that the tool or those
 * clients read is set. What a test changes in the environment is put back after it. And whatever a
 * test file started and did not stop (a setup that failed half-way) is stopped after it.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { stopLeftovers } from './leftovers.js';
import { isolateEnvironment } from './test-environment.js';

const home = isolateEnvironment(process.env);

let before: NodeJS.ProcessEnv = {};
beforeEach(() => {
  before = { ...process.env };
});
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in before)) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, before);
});

afterAll(async () => {
  try {
    await stopLeftovers();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
