/**
 * What a root run obeys must be the operator's: a settings file, an answers file, a runbook, a journal
 * to resume and a scenario folder that another user owns or may write are refused (exit 2) with the command that fixes them,
 * before anything runs. The tests run as root; "another user" is `nobody`.
 */
import { chmodSync, chownSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs('dr-trust-cli-');
const NOBODY = 65534;

describe('files another user could have written', () => {
  it('a settings file owned by nobody, or writable by all, is refused; the same file made private is obeyed', async () => {
    const dir = tmp();
    const config = join(dir, 'config.yaml');
    // Its cf-bin would run as root.
    writeFileSync(config, `cf-bin: ${join(dir, 'their-cf')}\n`, { mode: 0o600 });
    chownSync(config, NOBODY, NOBODY);
    const theirs = await runCli(['logs', 'instance', '78218ded-7d88-4d69-bd44-6f478c300134', '--config', config]);
    expect(theirs.code).toBe(2);
    expect(theirs.stderr).toContain(`refusing the settings file ${config}: it is owned by uid ${NOBODY}, not root (you)`);
    expect(theirs.stderr).toContain(`chown root ${config}`);

    chownSync(config, 0, 0);
    chmodSync(config, 0o666);
    const open = await runCli(['logs', 'instance', '78218ded-7d88-4d69-bd44-6f478c300134', '--config', config]);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(`refusing the settings file ${config}: it may be written by its group and other users (mode 0666)`);
    expect(open.stderr).toContain(`chmod go-w ${config}`);

    chmodSync(config, 0o600);
    const mine = await runCli(['logs', 'instance', '78218ded-7d88-4d69-bd44-6f478c300134', '--config', config, '--logs', dir], {});
    expect(mine.stderr).not.toContain('refusing');
  });

  it('an answers file or a runbook owned by nobody, or writable by all, is refused before anything runs', async () => {
    const dir = tmp();
    const answers = join(dir, 'answers.yaml');
    writeFileSync(answers, 'confirm: {}\n', { mode: 0o600 });
    chownSync(answers, NOBODY, NOBODY);
    const theirs = await runCli(['rehearse', '--scenario', 'seed-003', '--answers', answers, '--yes', '--state-dir', tmp()]);
    expect(theirs.code).toBe(2);
    expect(theirs.stderr).toContain(`refusing the answers file ${answers}: it is owned by uid ${NOBODY}, not root (you)`);
    chownSync(answers, 0, 0);
    chmodSync(answers, 0o666);
    const open = await runCli(['rehearse', '--scenario', 'seed-003', '--answers', answers, '--yes', '--state-dir', tmp()]);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(`refusing the answers file ${answers}: it may be written by its group and other users (mode 0666)`);

    const runbook = join(dir, 'mine.yaml');
    cpSync(join(ROOT, 'runbooks', 'verify-dumps.yaml'), runbook);
    chmodSync(runbook, 0o600);
    expect((await runCli(['validate', runbook])).code).toBe(0);
    chownSync(runbook, NOBODY, NOBODY);
    const theirRunbook = await runCli(['validate', runbook]);
    expect(theirRunbook.code).toBe(2);
    expect(theirRunbook.stderr).toContain(`refusing the runbook ${runbook}: it is owned by uid ${NOBODY}, not root (you)`);
    chownSync(runbook, 0, 0);
    chmodSync(runbook, 0o606);
    const openRunbook = await runCli(['validate', runbook]);
    expect(openRunbook.code).toBe(2);
    expect(openRunbook.stderr).toContain(`refusing the runbook ${runbook}: it may be written by other users (mode 0606)`);
  });

  it('resume refuses a journal another user owns or may write, and runs nothing', async () => {
    const state = tmp();
    const run = join(state, 'runs', '20260317-180520-ab12');
    mkdirSync(run, { recursive: true, mode: 0o700 });
    const journal = join(run, 'journal.ndjson');
    writeFileSync(journal, '', { mode: 0o600 });
    chownSync(journal, NOBODY, NOBODY);
    const theirs = await runCli(['resume', '20260317-180520-ab12', '--state-dir', state, '--yes']);
    expect(theirs.code).toBe(2);
    expect(theirs.stderr).toContain(`refusing the journal of run 20260317-180520-ab12 ${journal}: it is owned by uid ${NOBODY}`);

    chownSync(journal, 0, 0);
    chmodSync(journal, 0o666);
    const open = await runCli(['resume', '20260317-180520-ab12', '--state-dir', state, '--yes']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(`it may be written by its group and other users (mode 0666)`);
    expect(open.stderr).toContain(`chmod go-w ${journal}`);
  });

  it('rehearse refuses a scenario folder others may write', async () => {
    const scenario = join(tmp(), 'scenario');
    cpSync(join(ROOT, 'fixtures', 'seed-003'), scenario, { recursive: true });
    chmodSync(scenario, 0o777);
    const r = await runCli(['rehearse', '--scenario', scenario, '--yes', '--state-dir', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the folder ${scenario} above it may be written by its group and other users (mode 0777)`);
    expect(r.stderr).toContain(`chmod go-w ${scenario}`);
  });
});
