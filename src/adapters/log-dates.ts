/**
 * Times read from log lines, checked: a time Date cannot represent (out of its range of
 * ±8.64e15 ms) or an impossible calendar date (February 30, 25:00) is not a time. Parsers
 * return INVALID_DATE for those, null when a line carries no time at all, so that a caller
 * can tell an undated line from a bad one.
 */

/** A time that was written but cannot be read. */
export const INVALID_DATE: Date = new Date(Number.NaN);

export function isValidDate(d: Date | null | undefined): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/** The time `ms` (epoch milliseconds) as a Date, or INVALID_DATE when Date cannot represent it. */
export function dateOf(ms: number): Date {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? INVALID_DATE : d;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 1 && leap ? 29 : DAYS[month]!;
}

/** A UTC time from calendar fields (month 0-11), or INVALID_DATE when a field is out of range. */
export function utcDate(year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0): Date {
  const ok =
    Number.isInteger(year) &&
    month >= 0 &&
    month <= 11 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59 &&
    ms >= 0 &&
    ms <= 999;
  if (!ok) return INVALID_DATE;
  // Date.UTC reads years 0 to 99 as 1900 to 1999; setUTCFullYear takes them as written.
  if (year >= 100) return dateOf(Date.UTC(year, month, day, hour, minute, second, ms));
  const t = new Date(0);
  t.setUTCFullYear(year, month, day);
  t.setUTCHours(hour, minute, second, ms);
  return Number.isNaN(t.getTime()) ? INVALID_DATE : t;
}

const ISO = /^([+-]\d{6}|\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?(Z|z|[+-]\d\d(?::?\d\d)?)?$/;

/**
 * An ISO 8601 / RFC 3339 time (`2016-03-17T06:10:17.896Z`, `+02:00`, `-0700`, `-07`), its fields
 * checked; null for an empty text. Other texts are left to Date's own parser.
 */
export function isoDate(text: string): Date | null {
  if (text === '') return null;
  const m = ISO.exec(text);
  if (!m) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? INVALID_DATE : d;
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const local = utcDate(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  if (!isValidDate(local)) return INVALID_DATE;
  const zone = m[8];
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const hh = Number(zone.slice(1, 3));
    const mm = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (hh > 23 || mm > 59) return INVALID_DATE;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  } else if (!zone) {
    // No zone: read as the machine's local time, as Date does.
    offsetMin = -new Date(local.getTime()).getTimezoneOffset();
  }
  return dateOf(local.getTime() - offsetMin * 60_000);
}
