/** Bad input to the command line: a clear error and exit 2, never a stack trace. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli } from '../support/cli.js';
import { runOnTerminal } from '../support/terminal.js';

const dir = mkdtempSync(join(tmpdir(), 'dr-cli-input-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function noStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
}

describe('validate and explain take names and paths alike', () => {
  it('validate accepts the bundled runbook by name, and refuses a folder with exit 2', async () => {
    const byName = await runCli(['validate', 'recover-deleted-service']);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toMatch(/recover-deleted-service\.yaml: ok \(8 inputs, \d+ steps\)/);
    const folder = await runCli(['validate', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`cannot read runbook ${dir}: it is a folder, not a file`);
    noStack(folder.stderr);
  });
});

describe('a state folder that is a file', () => {
  it('is a usage error naming it, for runs and rehearse', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    for (const args of [['runs'], ['rehearse', '--yes']]) {
      const r = await runCli([...args, '--state-dir', file]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(file);
      noStack(r.stderr);
    }
  });
});

describe('rehearse --yes at a terminal', () => {
  it("takes the scenario's answers instead of asking the user's questions, and runs to the end", async () => {
    const r = await runOnTerminal(['rehearse', '--yes', '--state-dir', join(dir, 'state-terminal')], []);
    expect(r.code, r.screen.slice(-2000)).toBe(DONE_DRILLED_ON_CELL);
    expect(r.screen).toContain("The user's answers (answers file):");
    expect(r.screen).not.toMatch(/Which org|organization\?/i);
  }, 300_000);
});

describe('rehearse with a missing scenario and a bad runbook', () => {
  it('reports the scenario first, with exit 2, and starts no run', async () => {
    const state = join(dir, 'state-missing-scenario');
    const scenario = join(dir, 'no-such-scenario');
    const r = await runCli(['rehearse', '--yes', '--scenario', scenario, '--runbook', join(dir, 'no-such.yaml'), '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no scenario "${scenario}": neither a folder nor a scenario bundled with dingo-recover`);
    expect(r.stderr).not.toContain('no runbook');
    noStack(r.stderr);
  });
});

describe('logs find with credentials in --es-url and --clusterdata', () => {
  it('never prints them', async () => {
    const canary = 'Logs-Canary-Pw-31c8';
    const r = await runCli(
      [
        'logs',
        'find',
        '--service-name',
        'x',
        '--es-url',
        `http://elastic:${canary}@127.0.0.1:9`,
        '--clusterdata',
        `s3://k:${canary}@bucket`,
        '--json',
      ],
      {
        env: { AWS_EC2_METADATA_DISABLED: 'true' },
      },
    );
    expect(r.stdout + r.stderr).not.toContain(canary);
  });
});

describe('logs --help with Elasticsearch credentials in the environment', () => {
  it('never prints them', async () => {
    const key = 'Help-Canary-Key-83d1';
    const password = 'Help-Canary-Pw-5e20';
    for (const command of ['find', 'instance']) {
      const r = await runCli(['logs', command, '--help'], { env: { ES_API_KEY: key, ES_USERNAME: 'elastic', ES_PASSWORD: password } });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--es-password');
      expect(r.stdout + r.stderr).not.toContain(key);
      expect(r.stdout + r.stderr).not.toContain(password);
    }
  });
});
