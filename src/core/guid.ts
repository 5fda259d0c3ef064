/** Cloud Foundry GUIDs (service instances, spaces, containers): the one definition everything uses. */

/** A GUID in lower case, as a regex source to build larger patterns from. */
export const GUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The length of a GUID: 32 hex digits and 4 hyphens. */
const GUID_LENGTH = 36;

const WITHIN_ANY_CASE = new RegExp(GUID_PATTERN, 'i');

function isHyphenAt(i: number): boolean {
  return i === 8 || i === 13 || i === 18 || i === 23;
}

/** A GUID of 36 characters starts at `i` of `s` (what follows is not looked at); hot, so char by char. */
function guidAt(s: string, i: number, anyCase: boolean): boolean {
  if (i < 0 || s.length - i < GUID_LENGTH) return false;
  for (let k = 0; k < GUID_LENGTH; k++) {
    const c = s.charCodeAt(i + k);
    if (isHyphenAt(k)) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (anyCase && c >= 65 && c <= 70))) return false;
  }
  return true;
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
