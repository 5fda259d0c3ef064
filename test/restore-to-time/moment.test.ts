/** The moment a restore-to-time run restores to, and the default name of its copy. */
import { describe, expect, it } from 'vitest';
import { restoreTimeActions } from '../../src/actions/restore-time.js';
import { UsageError } from '../../src/core/errors.js';
import type { StepContext } from '../../src/engine/run/index.js';

const moment = restoreTimeActions.find((a) => a.name === 'pitr.moment')!;
const ctx = { evidence: () => undefined, note: () => undefined, progress: () => undefined } as unknown as StepContext;

describe('pitr.moment', () => {
  it('names the copy <name>-at-<YYYYMMDDTHHMM> with the moment in UTC', async () => {
    const out = await moment.run(ctx, { targetTime: '2016-11-21T15:01:30+01:00', instance: 'orders-db', copyName: [] }, {});
    expect(out).toEqual({ time: '2016-11-21T14:01:30.000Z', text: '2016-11-21 15:01:30+01:00', copyName: 'orders-db-at-20161121T1401' });
  });

  it('names the copy of an instance given by its GUID after the GUID', async () => {
    const out = await moment.run(
      ctx,
      { targetTime: '2016-11-21T14:01:30Z', instance: 'A1B2C3D4-0000-4000-8000-000000000001', copyName: [] },
      {},
    );
    expect(out.copyName).toBe('a1b2c3d4-at-20161121T1401');
  });

  it('refuses a moment without a zone, naming the input and the format', async () => {
    const err = await moment
      .run(ctx, { targetTime: '2016-11-21 14:01:30', instance: 'orders-db', copyName: [] }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(
      'the moment "2016-11-21 14:01:30" has no time zone: the same clock time is a different moment in each zone',
    );
    expect((err as UsageError).hint).toContain('ISO 8601 with its zone');
  });

  it('refuses a copy name cf would not take', async () => {
    const err = await moment
      .run(ctx, { targetTime: '2016-11-21T14:01:30Z', instance: 'orders-db', copyName: ['../x'] }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain('"../x" is not a service name');
  });
});
