/** explain and validate show which steps a `use` inlined, and from which runbook. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

const RUNBOOKS = join(ROOT, 'runbooks');

describe('a runbook with use steps', () => {
  it('is explained with its inlined steps, each saying which runbook defines it', async () => {
    const json = await runCli(['explain', 'recover-deleted-service', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const steps = (JSON.parse(json.stdout) as { steps: { id: string; from?: string; exclusive?: string }[] }).steps;
    expect(steps.slice(0, 7).map((s) => [s.id, s.from ?? null])).toEqual([
      ['target-space', 'target-space'],
      ['find-deleted-instance', 'find-deleted'],
      ['inspect-old-archive', 'prove-archive'],
      ['confirm-deleted-instance', 'find-deleted'],
      ['drill-old-archive', null],
      ['check-apps', 'create-solo'],
      ['check-name-free', 'create-solo'],
    ]);
    expect(steps.find((s) => s.id === 'stop-container')).toMatchObject({
      from: 'recover-instance',
      exclusive: 'cell-${steps.find-new-container.outputs.cellIp}',
    });
    const text = await runCli(['explain', 'recover-deleted-service']);
    // recover-instance inlines the steps it shares with restore-to-time's copy: each names its own runbook.
    expect(text.stdout).toContain(`Steps 6 to 12 come from runbook create-solo (${join(RUNBOOKS, 'create-solo.yaml')}):`);
    expect(text.stdout).toContain(`Steps 13 to 23 come from runbook recover-instance (${join(RUNBOOKS, 'recover-instance.yaml')}):`);
    expect(text.stdout).toContain(`Steps 24 to 28 come from runbook bind-and-grow (${join(RUNBOOKS, 'bind-and-grow.yaml')}):`);
    expect(text.stdout).toContain(`Step 3 comes from runbook prove-archive (${join(RUNBOOKS, 'prove-archive.yaml')}):`);
    // The deleted instance is found and confirmed by the steps recover-to-target shares.
    expect(text.stdout).toContain(`Step 2 comes from runbook find-deleted (${join(RUNBOOKS, 'find-deleted.yaml')}):`);
    expect(text.stdout).toContain(`Step 4 comes from runbook find-deleted (${join(RUNBOOKS, 'find-deleted.yaml')}):`);
  });

  it('says a confirmation typed only is never --yes, and the input that gives it where no terminal asks', async () => {
    const text = await runCli(['explain', 'restore-to-time']);
    expect(text.stdout).toContain(
      'confirm id: merge-apply (type confirmCode from step merge-plan (the first 8 characters do when it is a GUID); never --yes: where no terminal asks, give it as the mergeChecksum input, or as confirm.merge-apply in an answers file)',
    );
  });

  it('is validated with the runbooks it uses', async () => {
    const json = await runCli(['validate', 'recover-deleted-service', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      steps: 29,
      uses: [
        { runbook: join(RUNBOOKS, 'target-space.yaml'), steps: 1 },
        { runbook: join(RUNBOOKS, 'find-deleted.yaml'), steps: 2 },
        { runbook: join(RUNBOOKS, 'prove-archive.yaml'), steps: 1 },
        { runbook: join(RUNBOOKS, 'create-solo.yaml'), steps: 7 },
        { runbook: join(RUNBOOKS, 'recover-instance.yaml'), steps: 11 },
        { runbook: join(RUNBOOKS, 'bind-and-grow.yaml'), steps: 5 },
      ],
    });
    const text = await runCli(['validate', 'recover-space-instance']);
    expect(text.stdout).toContain(`  uses ${join(RUNBOOKS, 'recover-instance.yaml')}: ok (11 of its steps inlined)\n`);
  });
});
