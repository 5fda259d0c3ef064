/** `--ssh-via bosh` refuses, before anything runs, the flags of the direct way and a gateway port bosh cannot take. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

describe('--ssh-via', () => {
  const state = mkdtempSync(join(tmpdir(), 'dingo-ssh-via-'));
  afterAll(() => {
    rmSync(state, { recursive: true, force: true });
  });

  for (const [flags, refused] of [
    [['--ssh-user', 'vcap'], /--ssh-via bosh does not use --ssh-user/],
    [['--known-hosts', '/x/known_hosts', '--ssh-user', 'vcap'], /does not use --ssh-user or --known-hosts/],
    [['--gateway', 'ubuntu@opsman:2222'], /--gateway ubuntu@opsman:2222: bosh ssh takes the gateway's host and user, not its port/],
  ] as const) {
    it(`bosh with ${flags.join(' ')} exits 2 saying what to drop, and starts no run`, async () => {
      const r = await runCli(['recover', '--ssh-via', 'bosh', ...flags, '--yes', '--state-dir', state]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(refused);
      expect(r.stderr).toContain('what to do:');
      expect(readdirSync(state)).toEqual([]);
    });
  }

  it('takes only direct or bosh', async () => {
    const r = await runCli(['recover', '--ssh-via', 'scp', '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Choices: "direct", "bosh"');
  });
});
