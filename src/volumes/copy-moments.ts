/**
 * The newest time value of a COPY line: a date, timestamp or timestamptz as PostgreSQL writes it with
 * DateStyle ISO and TimeZone UTC (our sessions' settings), on one scale whatever its type or era, and
 * as the `::timestamptz::text` the look shows.
 */

const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
export const TIME_TYPES = new Set([DATE, TIMESTAMP, TIMESTAMPTZ]);

/** A time value as COPY wrote it, on one scale (microseconds from 1970 UTC; infinities at the ends), and as timestamptz text. */
export interface Moment {
  at: bigint;
  text: string;
}

export const later = (a: Moment | null, b: Moment | null): Moment | null => (!a ? b : !b ? a : b.at > a.at ? b : a);

/** The newest of a COPY line's first fields, of these types (`\N` and what does not read as a time are passed over). */
export function newestIn(line: string, types: number[]): Moment | null {
  const fields = line.split('\t');
  let newest: Moment | null = null;
  types.forEach((type, i) => {
    newest = later(newest, momentOf(fields[i] ?? '\\N', type));
  });
  return newest;
}

const INFINITY = 2n ** 63n;
const ISO = /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(\.\d{1,6})?)?(\+00)?( BC)?$/;

/**
 * A date, timestamp or timestamptz as PostgreSQL writes it with DateStyle ISO and TimeZone UTC, on one
 * scale, with its text as `::timestamptz::text` would write it (a date at midnight, UTC's `+00`).
 */
function momentOf(field: string, type: number): Moment | null {
  if (field === 'infinity' || field === '-infinity') return { at: field === 'infinity' ? INFINITY : -INFINITY, text: field };
  const m = ISO.exec(field);
  // A date has no clock; a timestamp has no zone; a timestamptz is in UTC, as our sessions set TimeZone.
  if (!m || (type === DATE) === (m[4] !== undefined) || (type === TIMESTAMPTZ) !== (m[8] !== undefined)) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', , bc] = m;
  // 1 BC is year 0 of the proleptic Gregorian calendar: days from 1970 by Howard Hinnant's days_from_civil.
  const year = bc ? 1 - Number(y) : Number(y);
  const days = daysFromCivil(year, Number(mo), Number(d));
  const micros = BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(s)) * 1_000_000n + BigInt((frac.slice(1) + '000000').slice(0, 6));
  const clock = `${h}:${mi}:${s}${frac}`;
  return { at: BigInt(days) * 86_400_000_000n + micros, text: `${y}-${mo}-${d} ${clock}+00${bc ?? ''}` };
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
