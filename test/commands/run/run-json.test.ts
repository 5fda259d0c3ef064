import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummaryJson } from '../../../src/commands/run/summary.js';
import { DONE_DRILLED_ON_CELL, runCli } from '../../support/cli.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

const stateDir = tempDirForAll('dingo-run-json-');

async function runJson(args: string[]) {
  const r = await runCli([...args, '--json', '--state-dir', stateDir], { env: { SUDO_USER: '' } });
  // stdout holds the summary alone: it parses as a whole.
  return { ...r, summary: JSON.parse(r.stdout) as RunSummaryJson };
}

describe('--json on the commands that drive a run', () => {
  it('rehearse and resume end with a summary on stdout, the screen on stderr', async () => {
    const waiting = await runJson(['rehearse']);
    expect(waiting.code).toBe(3);
    expect(waiting.stderr).toMatch(/^dingo-recover starts run \S+: /);
    const id = waiting.summary.runId;
    expect(waiting.summary).toMatchObject({
      mode: 'rehearsal',
      state: 'waiting',
      exitCode: 3,
      step: 'confirm-deleted-instance',
      steps: { failed: [], skipped: [] },
      report: { path: null },
      scenario: null,
    });
    expect(waiting.summary.steps.finished).toContain('find-deleted-instance');
    // The instance it is about is known once it is found; what it produces, once those steps ran.
    const subject = waiting.summary.subject!;
    expect(subject).toMatchObject({ live: false, archiveUrl: expect.stringContaining(`/backups/${subject.instanceGuid}/wal/`) });
    expect(waiting.summary.outputs).toMatchObject({ oldGuid: subject.instanceGuid, archiveUrl: subject.archiveUrl });
    expect(waiting.summary.outputs).not.toHaveProperty('newGuid');

    const done = await runJson(['resume', id, '--yes']);
    expect(done.code).toBe(DONE_DRILLED_ON_CELL);
    expect(done.stderr).toContain(`run ${id} is done`);
    expect(done.summary).toMatchObject({
      runId: id,
      state: 'done',
      exitCode: DONE_DRILLED_ON_CELL,
      step: null,
      steps: { failed: [] },
    });
    expect(done.summary.steps.finished).toContain('report');
    expect(done.summary.subject).toEqual(subject);
    expect(done.summary.outputs).toMatchObject({
      oldGuid: subject.instanceGuid,
      newGuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      quarantineUrl: expect.stringContaining('.quarantine-'),
      bound: expect.any(Array),
      reportFile: join(stateDir, 'runs', id, 'report.md'),
      todo: expect.any(Array),
    });
    expect(done.summary.outputs.newGuid).not.toBe(subject.instanceGuid);
    expect(done.summary.report.path).toBe(join(stateDir, 'runs', id, 'report.md'));
    expect(existsSync(done.summary.report.path!)).toBe(true);
  });

  it('recover whose checks fail stops before any run exists: no summary, the failed checks on stderr (exit 2)', async () => {
    const fresh = join(stateDir, 'fresh');
    const r = await runCli(['recover', '--json', '--cf-bin', '/nonexistent', '--s3-endpoint', 'http://127.0.0.1:9', '--state-dir', fresh], {
      // The credential chain stops at the environment: no instance metadata asked off loopback.
      env: { AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^FAILED +cf CLI +\/nonexistent is not on PATH$/m);
    expect(existsSync(join(fresh, 'runs'))).toBe(false);
  });
});
