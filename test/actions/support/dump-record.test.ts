import { describe, expect, it } from 'vitest';
import { DUMP } from '../../../src/actions/support/records.js';
import { isShaped, listProblems } from '../../../src/engine/runbook/shape.js';

describe('the dump record', () => {
  it('is what volumes.dump and pitr.dump record, read back from a journal', () => {
    const recorded: unknown = JSON.parse(
      JSON.stringify({ database: 'crm', file: '/x/crm.dump', bytes: 2048, rowCounts: { 'public.contacts': 3100 } }),
    );
    expect(isShaped(DUMP, recorded)).toBe(true);
  });

  it('names the dump and the field that is missing or of the wrong type', () => {
    const good = { database: 'a', file: '/a.dump', bytes: 1, rowCounts: {} };
    expect(listProblems(DUMP, [good, { ...good, file: 7 }])).toEqual(['item 2: file: expected a string, found 7']);
    expect(listProblems(DUMP, ['crm'])).toEqual(['item 1: expected a record (dump), found "crm"']);
    expect(listProblems(DUMP, [{ ...good, rowCounts: { 'public.t': '12' } }])).toEqual([
      'item 1: rowCounts: expected a number{}, found {"public.t":"12"}',
    ]);
    expect(listProblems(DUMP, [{ ...good, rowCounts: null }])).toHaveLength(1);
  });
});
