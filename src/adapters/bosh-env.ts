/**
 * Whom the bosh CLI acts as on which director: `bosh env --json` (v2: cmd/info_table.go, the
 * director's name, UUID, version, CPI, features and user) or `bosh status` (v1: a `Director`
 * block with `Name`, `URL` and `User`). v2's info table came in each era's shape (bosh-parse.ts):
 * bosh-cli 2.0.1 printed it without titles, as name/value rows (`["Name","p-bosh"]`…, Header
 * null), 2.0.13 and later the same rows keyed `col_0`/`col_1`, and later releases one row under
 * the titles (`{"name":"p-bosh",…,"user":"admin"}`). A CLI not logged in says so in the user's
 * place: `(not logged in)` on v2, `not logged in` on v1.
 */
import { printableJson } from '../core/display.js';
import { nameValueRow, parseJsonUi } from './bosh-parse.js';

export interface BoshEnv {
  director: string;
  /** Null when the CLI is not logged in. */
  user: string | null;
}

const NOT_LOGGED_IN = /^\(?not logged in\)?$/i;

/** What bosh printed, escaped and cut short, for a message about an answer of a shape this does not know. */
function excerpt(text: string): string {
  return printableJson(text.length > 600 ? `${text.slice(0, 600)}…` : text);
}

export function boshEnvArgs(major: 1 | 2): string[] {
  return major === 2 ? ['env', '--json'] : ['status'];
}

/** The director and its user, from `bosh env --json` or `bosh status`; throws when the output is neither. */
export function parseBoshEnv(major: 1 | 2, stdout: string): BoshEnv {
  if (major === 2) {
    let table;
    try {
      table = parseJsonUi(stdout).tables[0];
    } catch {
      throw new Error(`bosh env --json printed no bosh --json document: ${excerpt(stdout)}`);
    }
    const row = table?.rows[0]?.name ? table.rows[0] : nameValueRow(table?.rows ?? []);
    if (!row?.name) throw new Error(`bosh env --json names no director: ${excerpt(stdout)}`);
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
