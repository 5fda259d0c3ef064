/** PostgreSQL's version numbers, as its programs print them and as its majors are named. */

/**
 * The version a PostgreSQL program's `--version` line says: "15.4" of `psql (PostgreSQL) 15.4
 * (Debian 15.4-1)`, "9.5.25" of `pg_ctl (PostgreSQL) 9.5.25`, "17" of a `17beta1`; null when it
 * names none.
 */
export function versionSaid(text: string): string | null {
  return /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(text)?.[1] ?? null;
}

/** "9.5" from "9.5.1", "15" from "15.4": majors are two parts before PostgreSQL 10, one after. */
export function majorOf(version: string): string | null {
  const m = /(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return null;
  const first = Number(m[1]);
  return first < 10 ? (m[2] === undefined ? null : `${first}.${m[2]}`) : String(first);
}
