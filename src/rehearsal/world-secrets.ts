/**
 * The credentials a scenario holds never reach the saved world file: it keeps references to
 * them, resolved from the scenario when the world is loaded.
 */
import { escapeRegExp } from '../core/regexp.js';
import type { WorldState } from './world-state.js';

/** Keys whose values are credentials, in container environments and elsewhere in a scenario. */
const SECRET_KEY = /PASSWORD|SECRET|ACCESS_KEY|TOKEN/i;

/**
 * Every credential a scenario holds (container environment secrets, role passwords), longest
 * first so that no value is replaced inside a longer one. The order is stable for one scenario.
 */
export function scenarioSecrets(initial: WorldState): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, key: string, underRoles: boolean): void => {
    if (typeof v === 'string') {
      const eq = v.indexOf('=');
      if (underRoles || SECRET_KEY.test(key)) found.add(v);
      else if (eq > 0 && SECRET_KEY.test(v.slice(0, eq))) found.add(v.slice(eq + 1));
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, key, underRoles);
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) walk(item, k, key === 'roles');
    }
  };
  walk(initial, '', false);
  return [...found].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

const ref = (i: number): string => `\u00absecret:${i}\u00bb`;
/** A reference as `ref` writes it: its number without a leading zero. */
const REF = /\u00absecret:(0|[1-9]\d*)\u00bb/g;
const escaped = (secret: string): string => JSON.stringify(secret).slice(1, -1);

/** Each list's secrets as one pattern (longest first, as listed) and their places in it: a world is saved after every change. */
const patterns = new WeakMap<readonly string[], { pattern: RegExp; index: Map<string, number> }>();

function patternOf(secrets: readonly string[]): { pattern: RegExp; index: Map<string, number> } {
  let known = patterns.get(secrets);
  if (!known) {
    const index = new Map(secrets.map((secret, i) => [escaped(secret), i]));
    known = { pattern: new RegExp([...index.keys()].map(escapeRegExp).join('|'), 'g'), index };
    patterns.set(secrets, known);
  }
  return known;
}

/** `json` with each secret (as JSON writes it in a string) replaced by its reference, in one pass. */
export function seal(json: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return json;
  const { pattern, index } = patternOf(secrets);
  return json.replace(pattern, (found) => ref(index.get(found)!));
}

/** `json` with each reference to one of `secrets` replaced by the secret, as JSON writes it in a string. */
export function unseal(json: string, secrets: readonly string[]): string {
  return json.replace(REF, (found, i: string) => {
    const secret = secrets[Number(i)];
    return secret === undefined ? found : escaped(secret);
  });
}
