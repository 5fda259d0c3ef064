/**
 * The names the instances of a deleted space come back under: the audit events' or the broker's,
 * else the operator's (inputs.names, GUID=NAME), else a stand-in the report asks to rename, so an
 * instance whose create event has expired is still recovered.
 */
import type { StepContext } from '../../engine/executor/index.js';
import { UsageError } from '../../core/errors.js';
import { someOf } from '../../core/screen-lines.js';
import { isGuidAnyCase } from '../../core/guid.js';
import type { Holding } from '../../logs/space-holdings.js';

/** A holding with the name it comes back under; `unnamed` when that name is a stand-in. */
export type Named = Holding & { name: string; unnamed: boolean };

/** The name an instance no event or record names comes back under, before its GUID's first 8 characters. */
export const UNNAMED = 'recovered-';

/** inputs.names: GUID → name, each entry checked. */
export function givenNames(entries: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const guid = entry.slice(0, Math.max(at, 0)).trim();
    const name = entry.slice(at + 1).trim();
    if (at < 0 || !isGuidAnyCase(guid) || !name) {
      throw new UsageError(`inputs.names entry "${entry}" is not GUID=NAME`, {
        hint: 'write each as the deleted instance GUID, "=", and the name the user gives it (e.g. 6e101b27-ee1b-4f4d-a032-4401a3709ec3=orders-db), then resume',
      });
    }
    out.set(guid.toLowerCase(), name);
  }
  return out;
}

/**
 * Every holding with a name: the events' or the broker's, else the one the operator gave, else a
 * stand-in the report asks to rename. A given name for an instance the space did not hold is refused.
 */
export function named(held: Holding[], given: Map<string, string>, ctx: StepContext): Named[] {
  const guids = new Set(held.map((h) => h.instanceGuid.toLowerCase()));
  const stray = [...given.keys()].filter((g) => !guids.has(g));
  if (stray.length) {
    throw new UsageError(`inputs.names gives a name to ${stray.join(', ')}, which the deleted space did not hold`, {
      hint: `the space held ${someOf(held.map((h) => `${h.instanceGuid}${h.name ? ` (${h.name})` : ''}`))}; correct inputs.names in the answers file, then resume`,
    });
  }
  return held.map((h) => {
    const mine = given.get(h.instanceGuid.toLowerCase());
    if (h.name) {
      if (mine && mine !== h.name)
        ctx.note(`inputs.names calls ${h.instanceGuid} "${mine}", but its records name it "${h.name}": the records' name is kept`);
      return { ...h, name: h.name, unnamed: false };
    }
    if (mine) return { ...h, name: mine, unnamed: false, evidence: [...h.evidence, `named "${mine}" by the operator (inputs.names)`] };
    const stand = `${UNNAMED}${h.instanceGuid.slice(0, 8)}`;
    return {
      ...h,
      name: stand,
      unnamed: true,
      evidence: [
        ...h.evidence,
        `no audit event or broker record names it: it comes back as ${stand} (give its name as inputs.names ${h.instanceGuid}=NAME to use that instead)`,
      ],
    };
  });
}
