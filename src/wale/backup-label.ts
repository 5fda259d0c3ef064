/**
 * The backup label PostgreSQL archives beside the WAL (`<segment>.<offset>.backup`): its START TIME
 * and STOP TIME lines, written with strftime's `%Z` in the server's log_timezone, so the zone is an
 * abbreviation of that zone (`UTC`, `CET`, `EDT`, `IST`), or its offset (`+0530`, `-03`) where the
 * zone has no abbreviation.
 */

/** A clock time of the label: its digits, and the zone it was written in, as written. */
export interface LabelTime {
  /** "2016-03-16T19:11:47": the clock time, without its zone. */
  clock: string;
  zone: string;
}

/** The zone written as an offset (or as UTC itself): the offset in seconds east of UTC; null for an abbreviation. */
export function numericZone(zone: string): number | null {
  if (/^(UTC|GMT|Z|UCT|Zulu|Etc\/UTC)$/i.test(zone)) return 0;
  const m = /^([+-])(\d\d)(?::?(\d\d))?$/.exec(zone);
  if (!m) return null;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60);
}

function timeLine(label: string, what: 'START' | 'STOP'): LabelTime | null {
  const m = new RegExp(`^${what} TIME: (\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d) (\\S+)\\s*$`, 'm').exec(label);
  return m ? { clock: `${m[1]}T${m[2]}`, zone: m[3]! } : null;
}

/** START TIME and STOP TIME of a backup label (null where a line is missing or not a time). */
export function labelTimes(label: string): { start: LabelTime | null; stop: LabelTime | null } {
  return { start: timeLine(label, 'START'), stop: timeLine(label, 'STOP') };
}
