/** What a typed confirmation must say: the expected text, or for a GUID its first 8 characters. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function describeExpected(expected: string): string {
  return UUID.test(expected) ? `the first 8 characters of ${expected}` : `"${expected}"`;
}

/** Whether the text typed confirms `expected` (a GUID: its first 8 characters suffice), or equals `alsoAccept`. */
export function confirmationMatches(typed: string, expected: string, alsoAccept?: string): boolean {
  const t = typed.trim();
  if (t === expected || (alsoAccept !== undefined && alsoAccept !== '' && t === alsoAccept)) return true;
  return UUID.test(expected) && t.length >= 8 && expected.toLowerCase().startsWith(t.toLowerCase());
}
