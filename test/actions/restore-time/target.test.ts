/** Where a restore-to-time run stops (pitr.target): the drill's targets read from the runbook's inputs, and the default name of its copy. */
import { describe, expect, it } from 'vitest';
import { restoreTimeTargetActions } from '../../../src/actions/restore-time/target.js';
import { UsageError } from '../../../src/core/errors.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import { NO_TARGET } from '../../support/pitr-context.js';
import { targetFlags, targetOfFlags } from '../../../src/drill/recovery-target.js';

const readTarget = restoreTimeTargetActions.find((a) => a.name === 'pitr.target')!;
const evidence: string[] = [];
const ctx = { evidence: (l: string) => evidence.push(l), note: () => undefined, progress: () => undefined } as unknown as StepContext;
const NONE = { ...NO_TARGET, instance: 'orders-db', copyName: '' };

async function refusal(given: Partial<typeof NONE>): Promise<UsageError> {
  const err = await readTarget.run(ctx, { ...NONE, ...given }, {}).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('pitr.target', () => {
  it('reads a moment, names the copy <name>-at-<YYYYMMDDTHHMM> with the moment in UTC, and keeps it as the drill’s flags', async () => {
    const out = await readTarget.run(ctx, { ...NONE, targetTime: '2016-11-21T15:01:30+01:00' }, {});
    expect(out).toEqual({
      target: ['--target-time', '2016-11-21T14:01:30.000Z'],
      describe: 'as it was at 2016-11-21T14:01:30.000Z',
      time: '2016-11-21T14:01:30.000Z',
      copyName: 'orders-db-at-20161121T1401',
    });
    expect(evidence).toContain('the database as it was at 2016-11-21T14:01:30.000Z (a transaction committed exactly then is included)');
  });

  it('reads a transaction left out: "just before transaction 1843", the copy named after it, no moment', async () => {
    const out = await readTarget.run(ctx, { ...NONE, targetXid: '1843', targetExclusive: true }, {});
    expect(out).toEqual({
      target: ['--target-xid', '1843', '--target-exclusive'],
      describe: 'as it was just before transaction 1843',
      time: '',
      copyName: 'orders-db-before-xid-1843',
    });
  });

  it('reads a WAL location, a restore point and immediate, each with its timeline', async () => {
    const lsn = await readTarget.run(ctx, { ...NONE, targetLsn: '0/3000060', targetTimeline: '2' }, {});
    expect(lsn.target).toEqual(['--target-lsn', '0/3000060', '--target-timeline', '2']);
    expect(lsn.describe).toBe('as it was up to WAL location 0/3000060 (the record there included) (timeline 2)');
    const name = await readTarget.run(ctx, { ...NONE, targetName: 'before migration' }, {});
    expect(name).toMatchObject({ target: ['--target-name', 'before migration'], copyName: 'orders-db-at-before-migration' });
    const immediate = await readTarget.run(ctx, { ...NONE, targetImmediate: true }, {});
    expect(immediate).toMatchObject({ target: ['--target', 'immediate'], describe: 'as it was when its base backup ended (immediate)' });
  });

  it('names the copy of an instance given by its GUID after the GUID', async () => {
    const out = await readTarget.run(
      ctx,
      { ...NONE, targetTime: '2016-11-21T14:01:30Z', instance: 'A1B2C3D4-0000-4000-8000-000000000001' },
      {},
    );
    expect(out.copyName).toBe('a1b2c3d4-at-20161121T1401');
  });

  it('refuses a moment without a zone, naming the input and the format', async () => {
    const err = await refusal({ targetTime: '2016-11-21 14:01:30' });
    expect(err.message).toBe(
      'inputs: targetTime "2016-11-21 14:01:30" has no time zone: the same clock time is a different moment in each zone',
    );
    expect(err.hint).toContain('ISO 8601 with its zone');
  });

  it('refuses no target, several targets, a malformed one, and exclusive where it cannot apply, naming the inputs', async () => {
    const none = await refusal({});
    expect(none.message).toBe(
      'inputs: no target to restore to: give one of targetTime, targetXid, targetLsn, targetName or targetImmediate',
    );
    expect(none.hint).toContain('targetXid: 1843 with targetExclusive: true');
    expect((await refusal({ targetTime: '2016-11-21T14:01:30Z', targetXid: '1843' })).message).toBe(
      'inputs: targetTime and targetXid are several places to stop: give one of them',
    );
    const xid = await refusal({ targetXid: 'abc' });
    expect(xid.message).toBe('inputs: targetXid "abc" is not a transaction id');
    expect(xid.hint).toContain('as archive mistakes lists it');
    expect((await refusal({ targetLsn: '3000060' })).message).toBe('inputs: targetLsn "3000060" is not a WAL location');
    expect((await refusal({ targetImmediate: true, targetExclusive: true })).message).toBe(
      'inputs: targetExclusive applies to a moment, a transaction or a WAL location, not to the end of the base backup (immediate)',
    );
    expect((await refusal({ targetXid: '1843', targetTimeline: 'newest' })).message).toBe(
      'inputs: targetTimeline "newest" is not a timeline',
    );
    expect((await refusal({ targetExclusive: true })).message).toBe('inputs: targetExclusive needs a target to stop at');
  });

  it('refuses a copy name cf would not take', async () => {
    const err = await refusal({ targetTime: '2016-11-21T14:01:30Z', copyName: '../x' });
    expect(err.message).toContain('"../x" is not a service name');
  });
});

describe("a target kept as the drill's flags", () => {
  it("reads back as the target it was written from, through the drill's checks", async () => {
    for (const given of [
      { targetTime: '2016-11-21T15:01:30.123456+01:00', targetExclusive: true },
      { targetXid: '1843', targetTimeline: 'current' },
      { targetLsn: '0/3000060', targetExclusive: true },
      { targetName: 'before migration' },
      { targetImmediate: true },
    ]) {
      const flags = (await readTarget.run(ctx, { ...NONE, ...given }, {})).target as string[];
      expect(targetFlags(targetOfFlags(flags))).toEqual(flags);
    }
    expect(targetOfFlags(['--target-time', '2016-11-21T14:01:30.123456Z']).stop).toMatchObject({
      kind: 'time',
      time: { iso: '2016-11-21T14:01:30.123456Z' },
    });
  });

  it('refuses what is no target: a foreign flag, a flag without its value, several targets, none', () => {
    expect(() => targetOfFlags(['--query', 'x'])).toThrow('holds "--query", which is no target flag');
    expect(() => targetOfFlags(['--target-xid'])).toThrow('ends where --target-xid needs a value');
    expect(() => targetOfFlags(['--target-xid', '5', '--target-lsn', '0/1'])).toThrow('are several places to stop');
    expect(() => targetOfFlags([])).toThrow('no target');
  });
});
