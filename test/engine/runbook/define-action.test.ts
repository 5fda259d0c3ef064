import { describe, expect, expectTypeOf, it } from 'vitest';
import { defaulted, defineAction, optional, output, required, type ParamsOf, type OutputsOf } from '../../../src/engine/runbook/index.js';
import type { StepContext } from '../../../src/engine/executor/index.js';

const shared = {
  cellIp: { type: 'string', required: true, description: 'cell IP' },
} as const;

const params = {
  ...shared,
  attempts: { type: 'number', default: 3, description: 'attempts' },
  note: { type: 'string', description: 'optional' },
  force: { type: 'boolean', description: 'optional flag' },
  apps: { type: 'string[]', required: true, description: 'apps' },
  meta: { type: 'object', description: 'anything' },
  others: { type: 'object[]', default: [], description: 'rows' },
} as const;
const outputs = {
  seen: { type: 'string[]', description: 'what was seen' },
  count: { type: 'number', description: 'how many' },
} as const;

describe('the declaration builders', () => {
  const built = {
    cellIp: required('string', 'cell IP'),
    attempts: defaulted('number', 3, 'attempts'),
    note: optional('string', 'optional'),
    force: optional('boolean', 'optional flag'),
    apps: required('string[]', 'apps'),
    meta: optional('object', 'anything'),
    others: defaulted('object[]', [], 'rows'),
  };
  const builtOutputs = { seen: output('string[]', 'what was seen'), count: output('number', 'how many') };

  it('give the plain specs', () => {
    expect(built).toEqual(params);
    expect(builtOutputs).toEqual(outputs);
    expect(Object.keys(built.note)).toEqual(['type', 'description']);
  });

  it('type parameters and outputs as the plain specs do (checked by tsc)', () => {
    expectTypeOf<ParamsOf<typeof built>>().toEqualTypeOf<ParamsOf<typeof params>>();
    expectTypeOf<OutputsOf<typeof builtOutputs>>().toEqualTypeOf<OutputsOf<typeof outputs>>();
  });
});

describe('defineAction', () => {
  it('types parameters and outputs from the schema (checked by tsc)', () => {
    expectTypeOf<ParamsOf<typeof params>>().toEqualTypeOf<{
      readonly cellIp: string;
      readonly attempts: number;
      readonly note: string | undefined;
      readonly force: boolean | undefined;
      readonly apps: string[];
      readonly meta: Record<string, unknown> | undefined;
      readonly others: Record<string, unknown>[];
    }>();
    expectTypeOf<OutputsOf<typeof outputs>>().toEqualTypeOf<{ seen: string[]; count: number }>();
    // The compiler refuses outputs that are not the declared ones, and parameters that are not declared.
    defineAction({
      name: 'test.wrong',
      summary: 'wrong outputs',
      effect: 'read',
      params: shared,
      outputs,
      // @ts-expect-error count must be a number
      run: () => ({ seen: [], count: 'three' }),
    });
    defineAction({
      name: 'test.missing',
      summary: 'missing output',
      effect: 'read',
      params: shared,
      outputs,
      // @ts-expect-error every declared output is returned
      run: () => ({ seen: [] }),
    });
    expectTypeOf<ParamsOf<typeof shared>>().not.toHaveProperty('container');
  });

  it('erases to an ActionDef whose methods call the typed ones with the plan prepare made', async () => {
    const calls: unknown[] = [];
    const action = defineAction({
      name: 'test.typed',
      summary: 'typed',
      effect: 'write',
      params,
      outputs,
      prepare(_ctx, p) {
        expectTypeOf(p.cellIp).toEqualTypeOf<string>();
        return { stamp: `at-${p.cellIp}` };
      },
      run(_ctx, p, plan) {
        expectTypeOf(plan.stamp).toEqualTypeOf<string>();
        expectTypeOf(p.note).toEqualTypeOf<string | undefined>();
        calls.push(['run', p.apps, plan.stamp]);
        return { seen: [...p.apps, plan.stamp], count: p.attempts };
      },
      async probe(_ctx, _p, plan) {
        await Promise.resolve();
        return { done: true, outputs: { seen: [plan.stamp], count: 0 }, why: 'probed' };
      },
      safeToRepeat: 'harmless',
    });
    const ctx = {} as StepContext;
    const p = { cellIp: '10.0.0.1', attempts: 2, apps: ['a'], others: [] };
    const plan = await action.prepare!(ctx, p);
    expect(plan).toEqual({ stamp: 'at-10.0.0.1' });
    await expect(action.run(ctx, p, plan)).resolves.toEqual({ seen: ['a', 'at-10.0.0.1'], count: 2 });
    await expect(action.probe!(ctx, p, plan)).resolves.toMatchObject({ done: true, why: 'probed' });
    expect(action).toMatchObject({ reassert: undefined, evidence: undefined });
    expect(action).toMatchObject({ name: 'test.typed', effect: 'write', safeToRepeat: 'harmless', params, outputs });
    expect(calls).toEqual([['run', ['a'], 'at-10.0.0.1']]);
  });
});
