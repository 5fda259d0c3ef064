/** Cloud Foundry GUIDs (service instances, spaces, containers): the one pattern everything uses. */

/** A GUID in lower case, as a regex source to build larger patterns from. */
export const GUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const WHOLE = new RegExp(`^${GUID_PATTERN}$`);
const WHOLE_ANY_CASE = new RegExp(`^${GUID_PATTERN}$`, 'i');
const WITHIN_ANY_CASE = new RegExp(GUID_PATTERN, 'i');

/** The whole of `s` is a lower-case GUID (as cf and the logs write them). */
export function isGuid(s: unknown): s is string {
  return typeof s === 'string' && WHOLE.test(s);
}

/** The whole of `s` is a GUID, in either case (as an operator may type or paste it). */
export function isGuidAnyCase(s: string): boolean {
  return WHOLE_ANY_CASE.test(s);
}

/** The first GUID inside `text`, in either case, as written. */
export function findGuid(text: string): string | undefined {
  return WITHIN_ANY_CASE.exec(text)?.[0];
}
