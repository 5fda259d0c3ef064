import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

const stateDir = tempDirForAll('dingo-operator-');
const runs = () => (existsSync(join(stateDir, 'runs')) ? readdirSync(join(stateDir, 'runs')) : []);

function run(args: string[], env: Record<string, string> = {}) {
  return runCli([...args, '--state-dir', stateDir], { env: { SUDO_USER: '', ...env } });
}

describe('who drives a run', () => {
  it('journals the operator at the start and at each resume, and shows who confirmed what', async () => {
    const started = await run(['rehearse', '--operator', 'alice']);
    expect(started.code).toBe(3);
    const id = runIdOf(started.stdout);
    expect((await run(['resume', id, '--yes'], { SUDO_USER: 'bob' })).code).toBe(DONE_DRILLED_ON_CELL);

    const shown = (await run(['show', id])).stdout;
    expect(shown).toMatch(/^started at \S+ by alice \(\S+@\S+\) with dingo-recover \S+$/m);
    expect(shown).toMatch(/^resumed at \S+ by bob \(\S+@\S+\) with dingo-recover \S+$/m);
    expect(shown).toMatch(/confirmed by bob \(\S+@\S+\) at .* for 6e101b27-ee1b-4f4d-a032-4401a3709ec3/);
    expect(shown).not.toMatch(/confirmed by alice/);
    const report = (await run(['show', id, '--format', 'markdown'])).stdout;
    expect(report).toMatch(/^\| \d{4}-\d\d-\d\dT\S+Z \| started by alice \(\S+@\S+\) with dingo-recover \S+ \|/m);
    expect(report).toMatch(/^\| confirm-deleted-instance \| bob \(\S+@\S+\) \|/m);

    // A journal written before operators were journaled still shows, with the login alone.
    const journal = join(stateDir, 'runs', id, 'journal.ndjson');
    const old = readFileSync(journal, 'utf8').replace(/,"operator":"(alice|bob)"/g, '');
    expect(old).not.toContain('"operator"');
    writeFileSync(journal, old);
    const oldShown = await run(['show', id]);
    expect(oldShown.code).toBe(0);
    expect(oldShown.stdout).toMatch(/^started at \S+ by \S+@\S+ with dingo-recover \S+$/m);
    expect(oldShown.stdout).toMatch(/confirmed by \S+@\S+ at /);
  });

  it('takes the operator from --operator, else DINGO_RECOVER_OPERATOR, else operator: in the settings file', async () => {
    const configHome = join(stateDir, 'xdg');
    mkdirSync(join(configHome, 'dingo-recover'), { recursive: true });
    writeFileSync(join(configHome, 'dingo-recover', 'config.yaml'), 'operator: carol\n');
    const startedBy = async (args: string[], env: Record<string, string>) => {
      const r = await run(['rehearse', '--yes', ...args], { XDG_CONFIG_HOME: configHome, SUDO_USER: 'sudoer', ...env });
      expect(r.code, r.stderr).toBe(DONE_DRILLED_ON_CELL);
      const first = readFileSync(join(stateDir, 'runs', runIdOf(r.stdout), 'journal.ndjson'), 'utf8').split('\n')[0]!;
      return (JSON.parse(first) as { operator?: string }).operator;
    };
    expect(await startedBy([], {})).toBe('carol');
    expect(await startedBy([], { DINGO_RECOVER_OPERATOR: 'dave' })).toBe('dave');
    expect(await startedBy(['--operator', 'erin'], { DINGO_RECOVER_OPERATOR: 'dave' })).toBe('erin');
    // Neither: the user sudo was run by.
    expect(await startedBy([], { XDG_CONFIG_HOME: join(stateDir, 'no-config') })).toBe('sudoer');
  });

  it('refuses an operator name from the environment that is not one line, naming where to set it', async () => {
    const before = runs().length;
    const r = await run(['rehearse', '--yes'], { DINGO_RECOVER_OPERATOR: 'alice\u0007' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a name');
    expect(r.stderr).toContain('DINGO_RECOVER_OPERATOR');
    expect(runs()).toHaveLength(before);
  });

  it('refuses an operator name that is not one line, before any run exists', async () => {
    const before = runs().length;
    const r = await run(['rehearse', '--yes', '--operator', 'alice\nconfirmed by root']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a name');
    expect(runs()).toHaveLength(before);
  });
});
