/** What `snapshot` refuses before it reads anything: a folder that already holds files, no answers file, a choice misspelled or given twice otherwise. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';

const FAKE_CF = '/nonexistent/cf-that-must-not-run';
const tmp = tempDirs('dingo-snapshot-');

describe('dingo-recover snapshot refuses', () => {
  it('an --out folder that holds anything, naming it, and writes nothing there', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'notes.txt'), 'the operator’s notes\n');
    const answers = join(tmp(), 'answers.yaml');
    writeFileSync(answers, 'inputs:\n  org: acme\n  space: s\n  serviceName: important-db\n');
    const r = await runCli(['snapshot', '--answers', answers, '--logs', dir, '--cf-bin', FAKE_CF, '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${dir} is not empty`);
    expect(r.stderr).toContain('pick another folder');
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('a misspelled choice, and --deleted-instance that is not the answers file’s, naming the line', async () => {
    const answers = join(tmp(), 'answers.yaml');
    const out = join(tmp(), 'scenario');
    const inputs = 'inputs:\n  org: acme\n  space: s\n  serviceName: important-db\n';
    writeFileSync(answers, `${inputs}choose:\n  deletedInstanec: 6e101b27-ee1b-4f4d-a032-4401a3709ec3\n`);
    const typo = await runCli(['snapshot', '--answers', answers, '--logs', tmpdir(), '--cf-bin', FAKE_CF, '--out', out]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      `answers file ${answers}:6: choose.deletedInstanec is not a choice a recovery asks (did you mean "deletedInstance"?)`,
    );
    writeFileSync(answers, `${inputs}choose:\n  deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3\n`);
    const other = '6e101b27-ee1b-4f4d-a032-4401a3709ec4';
    const twice = await runCli([
      'snapshot',
      '--answers',
      answers,
      '--deleted-instance',
      other,
      '--logs',
      tmpdir(),
      '--cf-bin',
      FAKE_CF,
      '--out',
      out,
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr.replace(/\s+/g, ' ')).toContain(
      `--deleted-instance ${other} and choose.deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3 in the answers file ${answers}:6 disagree: one value, given twice`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('without an answers file, saying which inputs it needs', async () => {
    const out = join(tmp(), 'scenario');
    const r = await runCli(['snapshot', '--logs', tmpdir(), '--cf-bin', FAKE_CF, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('snapshot needs the answers file');
    expect(r.stderr).toContain('org, space, serviceName');
  });
});
