/** restore-to-time is among the bundled runbooks `explain` names, and explains step by step. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('explain restore-to-time', () => {
  it('is named among the bundled runbooks when a runbook is not found', async () => {
    const r = await runCli(['explain', 'restore-to-tim']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the bundled runbooks: [^\n]*\brestore-to-time\b/);
  });

  it('walks through its steps, the target first; only the dump and the removal of the scratch copy write, and the copy as a service and the merge back are the steps of load-copy and merge-back, used when asked', async () => {
    const r = await runCli(['explain', 'restore-to-time', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const steps = (JSON.parse(r.stdout) as { steps: { id: string; action?: string; effect?: string; from?: string }[] }).steps;
    const copy = ['create-solo', 'load-copy', 'bind-and-grow', 'merge-back'];
    expect(steps.map((s) => s.id)).toEqual([
      'read-target',
      'target-space',
      'find-instance',
      'inspect-old-archive',
      'confirm-instance',
      'check-copy-name',
      'check-merge',
      'restore',
      'dump',
      'verify-dumps',
      'merge-plan',
      'merge-apply',
      'remove-scratch',
      'copy-into',
      ...['check-apps', 'check-name-free', 'create-service', 'wait-created', 'find-new-container', 'locate-cell', 'inspect-new-container'],
      'load-dumps',
      ...['rebind-apps', 'restart-apps', 'size-for-plan', 'grow-service', 'verify-replicas'],
      'report',
    ]);
    // Only the dump and the scratch copy's removal write, on this machine; no step is destructive. The new
    // service is created by load-copy's steps, used only when the copy is asked for as a service; the live
    // database is written only by merge-back's apply, a destructive step run when tables are named to merge.
    const own = steps.filter((s) => !copy.includes(s.from ?? ''));
    expect(own.filter((s) => s.effect !== 'read').map((s) => `${s.id}: ${s.effect}`)).toEqual(['dump: write', 'remove-scratch: write']);
    expect(steps.filter((s) => s.from === 'merge-back').map((s) => `${s.id}: ${s.effect}`)).toEqual([
      'merge-plan: read',
      'merge-apply: destructive',
    ]);
  });
});
