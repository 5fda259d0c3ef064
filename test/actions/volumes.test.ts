/** The runbook's volumes steps read what earlier steps recorded through a typed parse, not a cast. */
import { describe, expect, it } from 'vitest';
import { volumesActions } from '../../src/actions/volumes.js';
import { StepFailed } from '../../src/core/errors.js';
import type { StepContext } from '../../src/engine/run/index.js';

const action = (name: string) => volumesActions.find((a) => a.name === name)!;

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
});
