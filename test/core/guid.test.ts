import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findGuid, isGuid, isGuidAnyCase, isGuidAt } from '../../src/core/guid.js';

// The reference: the plain regex the char-based checks replace.
const LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ANY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Strings near a GUID: GUIDs in either case with a character changed, dropped or added.
const nearGuid = fc
  .tuple(
    fc.uuid(),
    fc.boolean(),
    fc.nat(40),
    fc.constantFrom('', 'x', '-', 'G', 'A', '0', ' ', 'é'),
    fc.constantFrom('replace', 'insert', 'delete', 'none'),
  )
  .map(([u, upper, at, ch, how]) => {
    const g = upper ? u.toUpperCase() : u;
    const i = Math.min(at, g.length);
    if (how === 'replace') return g.slice(0, i) + ch + g.slice(i + 1);
    if (how === 'insert') return g.slice(0, i) + ch + g.slice(i);
    if (how === 'delete') return g.slice(0, i) + g.slice(i + 1);
    return g;
  });
const candidate = fc.oneof(nearGuid, fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-fA-F-]{34,38}$/));

describe('GUID checks', () => {
  it('isGuid and isGuidAnyCase agree with the regex on strings near and far from a GUID', () => {
    fc.assert(
      fc.property(candidate, (s) => {
        expect(isGuid(s)).toBe(LOWER.test(s));
        expect(isGuidAnyCase(s)).toBe(ANY.test(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('isGuidAt looks at the 36 characters from its index only', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), candidate, fc.string({ maxLength: 10 }), (before, s, after) => {
        const text = before + s + after;
        for (let i = -1; i <= text.length; i++) expect(isGuidAt(text, i)).toBe(i >= 0 && LOWER.test(text.slice(i, i + 36)));
      }),
    );
  });

  it('known cases', () => {
    const g = '0b1d2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e';
    expect(isGuid(g)).toBe(true);
    expect(isGuid(g.toUpperCase())).toBe(false);
    expect(isGuidAnyCase(g.toUpperCase())).toBe(true);
    expect(isGuid(`${g} `)).toBe(false);
    expect(isGuid(42)).toBe(false);
    expect(isGuidAt(`/backups/${g}/wal/`, 9)).toBe(true);
    expect(isGuidAt(`/backups/${g}/wal/`, 8)).toBe(false);
    expect(findGuid(`s3://b/${g.toUpperCase()}/x`)).toBe(g.toUpperCase());
  });
});
