/**
 * The settings every session of ours on a scratch server starts with, whatever the copy says. A
 * client's startup options (PGOPTIONS) win over every setting the copy keeps for a database, a role,
 * or a role in a database (ALTER DATABASE / ALTER ROLE … SET), which its owner chose: a database's
 * DateStyle would make a newest timestamp read as another day, its TimeZone as another hour, a
 * statement_timeout or a default read-only transaction stop our reads and writes, a client_encoding
 * garble names, standard_conforming_strings off turn a backslash in our literals into an escape, a
 * `role` make a session of ours another role, lc_messages word the errors we read in another language.
 * Only settings every major from 9.4 on knows are given (an unknown one refuses the connection).
 */

/** Settings any role may give at connection: both the reader's sessions and the superuser's. */
const ANY_ROLE: readonly [string, string][] = [
  ['role', 'none'],
  ['DateStyle', 'ISO,YMD'],
  ['IntervalStyle', 'postgres'],
  ['TimeZone', 'UTC'],
  ['client_encoding', 'UTF8'],
  ['standard_conforming_strings', 'on'],
  ['bytea_output', 'hex'],
  ['xmloption', 'content'],
  ['transform_null_equals', 'off'],
  ['constraint_exclusion', 'partition'],
  ['statement_timeout', '0'],
  ['lock_timeout', '0'],
  ['default_transaction_isolation', 'read committed'],
  ['default_transaction_deferrable', 'off'],
];

/** Settings only a superuser may give: its sessions alone take them. */
const SUPERUSER_ONLY: readonly [string, string][] = [
  ['lc_messages', 'C'],
  ['zero_damaged_pages', 'off'],
  ['ignore_checksum_failure', 'off'],
  ['session_replication_role', 'origin'],
];

/** `-c name=value` for each setting (a space in a value escaped, as PGOPTIONS reads it). */
const options = (settings: readonly [string, string][]): string =>
  settings.map(([name, value]) => `-c ${name}=${value.replace(/ /g, '\\ ')}`).join(' ');

/** The forced settings as PGOPTIONS words: for a superuser's session, or (`superuser` false) any role's. */
export function forcedSessionOptions(superuser: boolean): string {
  return options(superuser ? [...ANY_ROLE, ...SUPERUSER_ONLY] : ANY_ROLE);
}
