/** restore-to-time is among the bundled runbooks `explain` names, and explains step by step. */
import { describe, expect, it } from 'vitest';
import { runCli, SOURCE_CLI } from '../support/cli.js';

describe('explain restore-to-time', () => {
  it('is named among the bundled runbooks when a runbook is not found', async () => {
    const r = await runCli(['explain', 'restore-to-tim'], { program: SOURCE_CLI });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the bundled runbooks: [^\n]*\brestore-to-time\b/);
  });

  it('walks through its steps, the moment first; only the dump and the removal of the scratch copy write, and the copy as a service is a for-each', async () => {
    const r = await runCli(['explain', 'restore-to-time', '--json'], { program: SOURCE_CLI });
    expect(r.code, r.stderr).toBe(0);
    const steps = (JSON.parse(r.stdout) as { steps: { id: string; action?: string; effect?: string }[] }).steps;
    expect(steps.map((s) => s.id)).toEqual([
      'read-moment',
      'target-space',
      'find-instance',
      'check-copy-name',
      'inspect-archive',
      'confirm-instance',
      'restore',
      'dump',
      'verify-dumps',
      'remove-scratch',
      'copy-into',
      'create-copy',
      'report',
    ]);
    // Only the dump and the scratch copy's removal write, on this machine; no step is destructive. The new
    // service is created by the for-each create-copy, which runs load-copy for the copy when asked for a service.
    expect(steps.find((s) => s.id === 'create-copy')).toMatchObject({
      forEach: { runbook: 'load-copy', items: '${steps.copy-into.outputs.services}' },
    });
    const own = steps.filter((s) => s.id !== 'create-copy');
    expect(own.filter((s) => s.effect !== 'read').map((s) => `${s.id}: ${s.effect}`)).toEqual(['dump: write', 'remove-scratch: write']);
  });
});
