/**
 * Set up before every test file. Every test process (and every CLI it starts) runs as if started
 * from a shell, not by npm or npx: the CLI prints `npx dingo-recover` in its hints when npx started
 * it, and `npm test` or `npx vitest` must not decide what the tests see. It reads none of the
 * developer's own settings or runs: XDG_CONFIG_HOME and XDG_STATE_HOME are empty folders of its own
 * (so `$XDG_CONFIG_HOME/dingo-recover/config.yaml` is not theirs), and no DINGO_RECOVER_* variable
 * of theirs is set. What a test changes in the environment is put back after it. And whatever a test
 * file started and did not stop (a setup that failed half-way) is stopped after it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { stopLeftovers } from './leftovers.js';

for (const name of Object.keys(process.env)) {
  if (name.startsWith('npm_') || name.startsWith('DINGO_RECOVER_')) Reflect.deleteProperty(process.env, name);
}
const home = mkdtempSync(join(tmpdir(), 'dr-test-env-'));
for (const [name, dir] of [
  ['XDG_CONFIG_HOME', 'config'],
  ['XDG_STATE_HOME', 'state'],
] as const) {
  process.env[name] = join(home, dir);
  mkdirSync(join(home, dir), { mode: 0o700 });
}

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
