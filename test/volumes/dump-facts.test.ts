import { describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { parseDumpFacts } from '../../src/volumes/dump-facts.js';

describe('parseDumpFacts', () => {
  it('reads back the dumps volumes.dump recorded, field by field', () => {
    const recorded: unknown = JSON.parse(
      JSON.stringify([{ database: 'crm', file: '/x/crm.dump', bytes: 2048, rowCounts: { 'public.contacts': 3100 } }]),
    );
    expect(parseDumpFacts(recorded as unknown[])).toEqual([
      { database: 'crm', file: '/x/crm.dump', bytes: 2048, rowCounts: { 'public.contacts': 3100 } },
    ]);
  });

  it('names the dump and the field that is missing or of the wrong type', () => {
    const fail = (v: unknown[]): StepFailed => {
      try {
        parseDumpFacts(v);
      } catch (err) {
        return err as StepFailed;
      }
      throw new Error('parsed');
    };
    const good = { database: 'a', file: '/a.dump', bytes: 1, rowCounts: {} };
    expect(fail([good, { ...good, file: 7 }]).message).toBe('dump 2 of the parameter dumps has no file');
    expect(fail(['crm']).message).toContain('dump 1 of the parameter dumps has no fields');
    expect(fail([{ ...good, rowCounts: { 'public.t': '12' } }]).message).toBe(
      'dump 1 of the parameter dumps has no row count for public.t',
    );
    expect(fail([{ ...good, rowCounts: null }])).toBeInstanceOf(StepFailed);
  });
});
