/** What a typed confirmation must say: the expected text, or for a GUID its first 8 characters. */

import { isGuidAnyCase } from '../../core/guid.js';

export function describeExpected(expected: string): string {
  return isGuidAnyCase(expected) ? `the first 8 characters of ${expected}` : `"${expected}"`;
}

/** Whether the text typed confirms `expected` (a GUID: its first 8 characters suffice), or equals `alsoAccept`. */
export function confirmationMatches(typed: string, expected: string, alsoAccept?: string): boolean {
  const t = typed.trim();
  if (t === expected || (alsoAccept !== undefined && alsoAccept !== '' && t === alsoAccept)) return true;
  return isGuidAnyCase(expected) && t.length >= 8 && expected.toLowerCase().startsWith(t.toLowerCase());
}
