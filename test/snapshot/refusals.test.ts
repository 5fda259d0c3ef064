/** What `snapshot` refuses before it reads anything: a folder that already holds files, no answers file. */
import { readdirSync, writeFileSync } from 'node:fs';
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

  it('without an answers file, saying which inputs it needs', async () => {
    const out = join(tmp(), 'scenario');
    const r = await runCli(['snapshot', '--logs', tmpdir(), '--cf-bin', FAKE_CF, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('snapshot needs the answers file');
    expect(r.stderr).toContain('org, space, serviceName');
  });
});
