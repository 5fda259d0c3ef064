import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, SOURCE_CLI } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs('dr-cli-conv-');

describe('run ids on the command line', () => {
  it.each([
    ['resume', '..'],
    ['show', '.'],
    ['abandon', '..', '--reason', 'x'],
    ['show', '/'],
  ])('%s %s is refused with exit 2 and what to give instead', async (...args) => {
    const r = await runCli([...args, '--state-dir', tmp()], { program: SOURCE_CLI });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${JSON.stringify(args[1])} is not a run id`);
    expect(r.stderr).toContain('`dingo-recover runs`');
  });
});

describe('a world-writable state folder', () => {
  it('is warned about once on stderr by a command that uses it, naming the chmod that fixes it', async () => {
    const state = tmp();
    chmodSync(state, 0o777);
    const r = await runCli(['runs', '--state-dir', state], { program: SOURCE_CLI });
    expect(r.code).toBe(0);
    expect(r.stderr.split(`warning: the state folder ${state} is writable by every user`)).toHaveLength(2);
    expect(r.stderr).toContain(`chmod 700 ${state}`);
  });
});
