/**
 * PostgreSQL major version from a base backup's `extended_version.txt`, which
 * holds `SELECT version()`: "PostgreSQL 9.5.1 on x86_64-…" → "9.5",
 * "PostgreSQL 15.4 (Debian 15.4-1) on …" → "15". Before 10 the major version
 * is two numbers, from 10 on it is one.
 */
export function parsePgVersion(text: Buffer | string): string | null {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  const m = /PostgreSQL\s+(\d+)(?:\.(\d+))?/.exec(s);
  if (!m) return null;
  const major = Number(m[1]);
  if (major >= 10) return String(major);
  if (m[2] === undefined) return null;
  return `${major}.${Number(m[2])}`;
}
