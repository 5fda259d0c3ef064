/** The runbook's volumes steps read what earlier steps recorded through a typed parse, not a cast. */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { volumesProofActions } from '../../src/actions/volumes-proofs.js';
import { StepFailed } from '../../src/core/errors.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { testRuntime } from '../support/runtime.js';

const tmp = tempDirs('dr-volumes-scratch-');

const action = (name: string) => volumesProofActions.find((a) => a.name === name)!;

describe('volumes.verify-dumps', () => {
  it('refuses dumps recorded without their row counts before restoring anything, naming the field', async () => {
    const evidence: string[] = [];
    const ctx = { evidence: (t: string) => evidence.push(t), progress: () => undefined, note: () => undefined } as unknown as StepContext;
    const dumps = [{ database: 'crm', file: '/nowhere/crm.dump', bytes: 10 }];
    const err = await action('volumes.verify-dumps')
      .run(ctx, { dumps }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      'volumes.verify-dumps: its parameters are not the records it declares (dumps: item 1: rowCounts: expected a number{}, found nothing)',
    );
    expect(evidence).toEqual([]);
  });

  it("plans its scratch server in the run's scratch folder, and a resume refuses a journaled folder outside it", async () => {
    const scratch = tmp();
    const other = tmp();
    const ctx = { runtime: testRuntime({ scratch }) } as unknown as StepContext;
    const verify = action('volumes.verify-dumps');
    const plan = (await verify.prepare!(ctx, { dumps: [] })) as { folder: string };
    expect(dirname(plan.folder)).toBe(scratch);
    expect(basename(plan.folder)).toMatch(/^dingo-restore-check-/);
    // The same folder name, journaled by a run with another scratch folder, is no folder this run made.
    const elsewhere = join(other, basename(plan.folder));
    mkdirSync(elsewhere);
    const err = await verify.probe!(ctx, { dumps: [] }, { folder: elsewhere }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `${elsewhere}, journaled as the folder of the earlier attempt's scratch server, is not a folder this tool made`,
    );
    expect(existsSync(elsewhere)).toBe(true);
  });
});
