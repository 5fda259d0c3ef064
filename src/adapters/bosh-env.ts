/**
 * Whom the bosh CLI acts as on which director: `bosh env --json` (v2: a table of the director's
 * name, version and user) or `bosh status` (v1: a `Director` block with `Name`, `URL` and `User`).
 * A CLI not logged in says so in the user's place: `(not logged in)` on v2, `not logged in` on v1.
 */
import { parseJsonUi } from './bosh-parse.js';

export interface BoshEnv {
  director: string;
  /** Null when the CLI is not logged in. */
  user: string | null;
}

const NOT_LOGGED_IN = /^\(?not logged in\)?$/i;

export function boshEnvArgs(major: 1 | 2): string[] {
  return major === 2 ? ['env', '--json'] : ['status'];
}

/** The director and its user, from `bosh env --json` or `bosh status`; throws when the output is neither. */
export function parseBoshEnv(major: 1 | 2, stdout: string): BoshEnv {
  if (major === 2) {
    const row = parseJsonUi(stdout).tables[0]?.rows[0];
    if (!row?.name) throw new Error('bosh env --json names no director');
    const user = row.user ?? '';
    return { director: row.name, user: user && !NOT_LOGGED_IN.test(user) ? user : null };
  }
  const block = /^Director\n((?: {2}.*\n?)+)/m.exec(stdout.replace(/\r\n/g, '\n'));
  const field = (name: string): string | undefined =>
    block ? new RegExp(`^ {2}${name} +(.+)$`, 'm').exec(block[1]!)?.[1]?.trim() : undefined;
  const name = field('Name');
  if (!block || !name) throw new Error('bosh status shows no director (none targeted: bosh target URL)');
  const user = field('User') ?? '';
  return { director: `${name} (${field('URL') ?? 'no URL'})`, user: user && !NOT_LOGGED_IN.test(user) ? user : null };
}
