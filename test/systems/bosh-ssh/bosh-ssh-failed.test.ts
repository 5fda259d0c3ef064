/**
 * What the step says when bosh itself fails a `bosh ssh`: the director's reason, and a hint that
 * says nothing ran on the cell only when the task that makes the session's user failed, as each
 * CLI words it: bosh-cli's "Setting up SSH in deployment" around "Expected task 'N' to succeed",
 * the task's error among the JSON document's blocks (director/ssh.go, ui/task/reporter.go); the Ruby
 * CLI's "Failed to set up SSH: see task N log for details" (cli/commands/ssh.rb) on stderr, the task's
 * error (`Error 450002: …`) among its tracker's lines on stdout.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { renderJsonUi } from '../../../src/rehearsal/bosh-formats.js';
import { boshSshFailed } from '../../../src/systems/bosh-ssh/bosh-ssh-remote.js';
import { BOSH_VERSIONS } from '../../support/fake-cli/worlds.js';

const WHERE = 'cell 10.58.111.150 (bosh ssh cell_z1/0)';

/** bosh-cli's `--json` answer when the setup task ends in error with `error`. */
function setupFailed(error: string) {
  const lines = [
    "Using environment '10.0.0.6' as client 'admin'",
    "Using deployment 'dingo'",
    'Task 4321',
    '\n',
    '\n\nTask 4321 Started  Sat Dec  5 00:13:39 UTC 2026\nTask 4321 Finished Sat Dec  5 00:13:39 UTC 2026\nTask 4321 Duration 00:00:00',
    '\nTask 4321 error\n',
    "Setting up SSH in deployment 'dingo':\n  Expected task '4321' to succeed but state is 'error'",
    'Exit code 1',
  ];
  return { ...renderJsonUi(BOSH_VERSIONS.v2, [], lines, 1, ['\nTask 4321 | 00:13:39 | ', `Error: ${error}`]), durationMs: 1 };
}

const failed = (bosh: { stdout: string; stderr: string; exitCode: number }) =>
  boshSshFailed('`bosh ssh`', WHERE, { ...bosh, durationMs: 1 }, new Redactor());

describe('bosh failing a bosh ssh itself', () => {
  it('names the agent that did not answer, and that nothing ran, when the setup task timed out on it (v2)', () => {
    const e = failed(setupFailed("Timed out sending 'ssh' to instance: 'cell_z1/0', agent-id: 'a1' after 45 seconds"));
    expect(e.message).toBe(
      "`bosh ssh` on cell 10.58.111.150 (bosh ssh cell_z1/0) failed: Setting up SSH in deployment 'dingo':\n  Expected task '4321' to succeed but state is 'error'\nError: Timed out sending 'ssh' to instance: 'cell_z1/0', agent-id: 'a1' after 45 seconds",
    );
    expect(e.hint).toMatch(/^the cell's BOSH agent did not answer the director, so nothing ran on the cell: `bosh vms`/);
  });

  it('names the setup task and its debug log when it failed otherwise (v2)', () => {
    const e = failed(setupFailed('the agent refused the user'));
    expect(e.message).toMatch(/Expected task '4321' to succeed but state is 'error'\nError: the agent refused the user$/);
    expect(e.hint).toMatch(
      /^the director's task 4321, which makes the session's user, failed, so nothing ran on the cell: `bosh task 4321 --debug`/,
    );
  });

  /** The Ruby CLI's output when the setup task failed with `error`: the task tracker's on stdout, ssh.rb's verdict on stderr. */
  const v1SetupFailed = (error: string) => ({
    stdout: `Acting as user 'admin' on deployment 'dingo' on 'bosh'\nTarget deployment is 'dingo'\n\nSetting up ssh artifacts\n\nDirector task 4321\n\n${error}\n\nTask 4321 error\n\n`,
    stderr: 'Failed to set up SSH: see task 4321 log for details',
    exitCode: 1,
  });

  it('names the setup task and its debug log when the Ruby CLI says it failed (v1)', () => {
    const e = failed(v1SetupFailed('Error 100: the agent refused the user'));
    expect(e.message).toMatch(/failed: Failed to set up SSH: see task 4321 log for details\nError 100: the agent refused the user$/);
    expect(e.hint).toMatch(/^the director's task 4321, which makes the session's user, failed, so nothing ran on the cell/);
  });

  it("names the agent that did not answer, and that nothing ran, from the task's error the Ruby CLI printed (v1)", () => {
    const e = failed(v1SetupFailed("Error 450002: Timed out sending `ssh' to 0b4f2e8c-1d7a-4c5e-9f3b-6a2d8e1c7b90 after 45 seconds"));
    expect(e.message).toBe(
      "`bosh ssh` on cell 10.58.111.150 (bosh ssh cell_z1/0) failed: Failed to set up SSH: see task 4321 log for details\nError 450002: Timed out sending `ssh' to 0b4f2e8c-1d7a-4c5e-9f3b-6a2d8e1c7b90 after 45 seconds",
    );
    expect(e.hint).toMatch(/^the cell's BOSH agent did not answer the director, so nothing ran on the cell: `bosh vms`/);
  });

  it("says the cell may have been recreated when the Ruby CLI's director found no such instance (v1)", () => {
    const e = failed(v1SetupFailed('Error 70001: No instances matched {:deployment_id=>3, :index=>[0], :job=>"cell_z1"}'));
    expect(e.message).toMatch(
      /see task 4321 log for details\nError 70001: No instances matched \{:deployment_id=>3, :index=>\[0\], :job=>"cell_z1"\}$/,
    );
    expect(e.hint).toBe('the cell may have been recreated: check `bosh vms` for its IP and resume');
  });

  it('claims nothing of the cell when it is not the setup that failed', () => {
    // A task's timeout without the setup's words (a cleanup the Ruby CLI waits for, once the command ran).
    const e = failed({
      stdout: "Error 450002: Timed out sending 'ssh' to instance: 'cell_z1/0', agent-id: 'a1' after 45 seconds\n",
      stderr: '',
      exitCode: 1,
    });
    expect(e.hint).toMatch(/^check that `bosh ssh` reaches the cell by hand/);
    expect(e.hint).not.toMatch(/nothing ran/);
  });
});
