/** Cloud Foundry GUIDs (service instances, spaces, containers): the one definition everything uses. */

/** A GUID in lower case, as a regex source to build larger patterns from. */
export const GUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The length of a GUID: 32 hex digits and 4 hyphens. */
const GUID_LENGTH = 36;

const WITHIN_ANY_CASE = new RegExp(GUID_PATTERN, 'i');
/** Sticky: they match only at their lastIndex (a native match is cheaper than a loop over the characters, cold or warm). */
const AT = new RegExp(GUID_PATTERN, 'y');
const AT_ANY_CASE = new RegExp(GUID_PATTERN, 'iy');

/** A GUID of 36 characters starts at `i` of `s` (what follows is not looked at). */
function guidAt(s: string, i: number, anyCase: boolean): boolean {
  if (i < 0 || s.length - i < GUID_LENGTH) return false;
  const at = anyCase ? AT_ANY_CASE : AT;
  at.lastIndex = i;
  return at.test(s);
}

/** A lower-case GUID starts at index `i` of `s` (what follows it is not looked at). */
export function isGuidAt(s: string, i: number): boolean {
  return guidAt(s, i, false);
}

/** The whole of `s` is a lower-case GUID (as cf and the logs write them). */
export function isGuid(s: unknown): s is string {
  return typeof s === 'string' && s.length === GUID_LENGTH && guidAt(s, 0, false);
}

/** The whole of `s` is a GUID, in either case (as an operator may type or paste it). */
export function isGuidAnyCase(s: string): boolean {
  return s.length === GUID_LENGTH && guidAt(s, 0, true);
}

/** The first GUID inside `text`, in either case, as written. */
export function findGuid(text: string): string | undefined {
  return WITHIN_ANY_CASE.exec(text)?.[0];
}
