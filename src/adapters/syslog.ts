/**
 * Syslog line prefixes: RFC 3164 (`Mar 16 23:10:17 host tag:  payload`, the shape BOSH
 * forwards, with no year), RFC 5424 (`<14>1 2016-03-17T06:10:17Z host app procid msgid sd payload`)
 * and RFC 3164's fields behind an RFC 3339 time (`<14>2016-11-25T10:20:30.123456+00:00 host
 * tag[pid]: payload`: rsyslog's RSYSLOG_ForwardFormat, which CF's metron forwards; without `<PRI>`,
 * RSYSLOG_FileFormat). RFC 6587 octet-counted frames (`LEN <14>1 ...`) are cut apart by the
 * scan (syslog-frames.ts), which hands each frame's message here.
 */
import { dateOf, INVALID_DATE, isoDate, isValidDate, utcDate } from './log-dates.js';

export interface SyslogLine {
  /** When the line was written, or null when the prefix had no usable time. */
  time: Date | null;
  /** The prefix's time as written when it is not a time (February 30, out of Date's range). */
  badTime?: string;
  host: string;
  /** RFC 3164 tag without `[pid]` (e.g. `broker.stdout.log`, `docker/cf-<node>`), or RFC 5424 APP-NAME. */
  tag: string;
  payload: string;
  /** The prefix had no year (RFC 3164): it was inferred from the file's time. */
  yearInferred: boolean;
  format: 'rfc3164' | 'rfc5424' | 'rfc3339';
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const RFC5424 = /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/s;

/**
 * The year of an RFC 3164 time, from the time of the file it came from: the year of the
 * file's time, or the year before when that would put the line more than a month after it
 * (a file written in January holds December's lines).
 */
export function inferYear(month: number, day: number, reference: Date): number {
  const year = reference.getUTCFullYear();
  const candidate = Date.UTC(year, month, day);
  return candidate - reference.getTime() > 31 * 86_400_000 ? year - 1 : year;
}

/** RFC 3164's fields `Mmm dd hh:mm:ss[.frac] HOST TAG[[pid]]` (groups: month, day, hours, minutes, seconds, host, tag), to build on. */
export const RFC3164_FIELDS = String.raw`([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\S+) ([^\s:[]+)(?:\[\d+\])?`;

/** The RFC 3164 prefix, up to the payload (which is the rest of the line): `[<PRI>]` and the fields, then `: `. */
const RFC3164 = new RegExp(String.raw`^(?:<\d{1,3}>)?${RFC3164_FIELDS}: ?`);

/**
 * A tag rsyslog cut: its default forwarding templates write `%syslogtag:1:32%`, so a tag of more
 * than 32 characters (a container's `docker/cf-<uuid>:` is 47) loses its end and its colon.
 */
const CUT_TAG = /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ ([^\s:[]{32})(?: |$)/;

/** Why a tag is cut, and what to do about its lines: said wherever such lines are set aside. */
export const CUT_TAG_CAUSE = "rsyslog's default forwarding templates write %syslogtag:1:32%";
export const CUT_TAG_ADVICE =
  "forward with a template that keeps the whole tag (RSYSLOG_SyslogProtocol23Format), or read the cell's own /var/log/syslog";

/** The tag of a line whose tag rsyslog cut to 32 characters, or null. */
export function cutTagOf(line: string): string | null {
  return CUT_TAG.exec(line)?.[1] ?? null;
}

/** `[<PRI>]` RFC 3339 time, then RFC 3164's `HOST TAG[[pid]]: `, up to the payload. */
const RFC3339 = /^(?:<\d{1,3}>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|z|[+-]\d\d:\d\d)) (\S+) ([^\s:[]+)(?:\[\d+\])?: ?/;

/**
 * Midnight (UTC ms) of an RFC 3164 date, its year inferred from the file's time; NaN when the date
 * does not exist. A file's lines come day by day, so the last day read is kept.
 */
function midnightOf(month: number, day: number, fileTime: Date): number {
  const ref = fileTime.getTime();
  const last = lastDay;
  if (last.month === month && last.day === day && last.ref === ref) return last.midnight;
  let year = inferYear(month, day, fileTime);
  // February 29 of a year that has none was logged in the last leap year before it.
  if (month === 1 && day === 29) while (!isValidDate(utcDate(year, 1, 29, 0, 0, 0)) && year > fileTime.getUTCFullYear() - 8) year -= 1;
  const midnight = Number.isFinite(year) ? utcDate(year, month, day, 0, 0, 0).getTime() : Number.NaN;
  lastDay = { month, day, ref, midnight };
  return midnight;
}

let lastDay = { month: -1, day: -1, ref: Number.NaN, midnight: Number.NaN };

/** The time of day on a day (as utcDate checks it); INVALID_DATE when a field is out of range. */
function timeOn(midnight: number, hour: number, minute: number, second: number): Date {
  if (Number.isNaN(midnight) || hour > 23 || minute > 59 || second > 59) return INVALID_DATE;
  return dateOf(midnight + hour * 3_600_000 + minute * 60_000 + second * 1000);
}

/**
 * The time of an RFC 3164 prefix from its month, day, hours, minutes and seconds (groups 1 to 5 of
 * a match), its year inferred from the file's time: null when the month is no month's name,
 * INVALID_DATE when the date or the time of day does not exist.
 */
export function rfc3164Time(m: RegExpExecArray, fileTime: Date): Date | null {
  const month = MONTHS[m[1]!];
  if (month === undefined) return null;
  return timeOn(midnightOf(month, Number(m[2]), fileTime), Number(m[3]), Number(m[4]), Number(m[5]));
}

/** Parse a syslog line; null when it is none of RFC 3164, RFC 5424 and RFC 3339-dated RFC 3164. */
export function parseSyslog(line: string, fileTime: Date): SyslogLine | null {
  const afterPri = line.charCodeAt(0) === 60 /* < */ ? line.indexOf('>') + 1 : 0;
  if (afterPri > 0 && line.charCodeAt(afterPri) === 49 /* 1 */ && line.charCodeAt(afterPri + 1) === 32) {
    const r = parse5424(line);
    if (r) return r;
  }
  const first = line.charCodeAt(afterPri);
  if (first >= 48 && first <= 57) return parse3339(line);
  const m = RFC3164.exec(line);
  if (!m) return null;
  const time = rfc3164Time(m, fileTime);
  if (!time) return null;
  const host = m[6]!;
  const tag = m[7]!;
  const payload = line.slice(m[0].length).trimStart();
  if (isValidDate(time)) return { time, host, tag, payload, yearInferred: true, format: 'rfc3164' };
  const at = line.indexOf(m[1]!);
  return { time: null, badTime: line.slice(at, at + 15), host, tag, payload, yearInferred: true, format: 'rfc3164' };
}

function parse3339(line: string): SyslogLine | null {
  const m = RFC3339.exec(line);
  if (!m) return null;
  const time = isoDate(m[1]!);
  const fields = { host: m[2]!, tag: m[3]!, payload: line.slice(m[0].length).trimStart(), yearInferred: false, format: 'rfc3339' as const };
  return isValidDate(time) ? { time, ...fields } : { time: null, badTime: m[1]!, ...fields };
}

function parse5424(line: string): SyslogLine | null {
  const m = RFC5424.exec(line);
  if (!m) return null;
  const time = m[1] === '-' ? null : isoDate(m[1]!);
  const rest = m[6]!;
  // STRUCTURED-DATA: `-` or one or more `[id k="v"...]`, values may escape `]`.
  let i = 0;
  if (rest[i] === '-') i += 1;
  else if (rest[i] === '[') {
    while (rest[i] === '[') {
      i += 1;
      while (i < rest.length && rest[i] !== ']') i += rest[i] === '\\' ? 2 : 1;
      i += 1;
    }
  } else return null;
  let payload = rest.slice(i);
  if (payload.startsWith(' ')) payload = payload.slice(1);
  if (payload.startsWith('\uFEFF')) payload = payload.slice(1);
  return {
    time: isValidDate(time) ? time : null,
    ...(time && !isValidDate(time) ? { badTime: m[1]! } : {}),
    host: m[2]!,
    tag: m[3]!,
    payload: payload.trimStart(),
    yearInferred: false,
    format: 'rfc5424',
  };
}

/**
 * What a file's dated lines teach about its undated ones. RFC 3164 prefixes carry neither
 * year nor zone; a payload with its own absolute time (lager, wal-e, confd) on the same line
 * shows both. Later undated lines of that file are read with the same zone and the year that
 * puts them nearest the anchor, which survives copies that reset the file's modification time.
 */
export interface SyslogClock {
  /** The payload's own time (ms) on the last dated line. */
  anchor: number;
  /** Payload time minus prefix time, rounded to a quarter hour (the prefix's zone). */
  zoneMs: number;
}

const QUARTER_HOUR = 15 * 60_000;
/** A payload time further than this from its prefix was not written when it was logged. */
const MAX_ZONE_MS = 26 * 3_600_000;

const DAY_MS = 86_400_000;

/** The time of `prefix` moved to the year (one before, its own, one after `target`'s) that puts it, shifted, nearest `target`. */
function nearestYear(prefix: Date, shiftMs: number, target: number): number {
  const targetYear = new Date(target).getUTCFullYear();
  const month = prefix.getUTCMonth();
  const day = prefix.getUTCDate();
  const inDay = ((prefix.getTime() % DAY_MS) + DAY_MS) % DAY_MS;
  let best = Number.NaN;
  for (let year = targetYear - 1; year <= targetYear + 1; year++) {
    // As setUTCFullYear moves it: a day the year lacks (February 29) rolls over; years 0 to 99 are as written.
    const ms = (year >= 100 ? Date.UTC(year, month, day) + inDay : yearMoved(prefix, year)) + shiftMs;
    if (Number.isNaN(best) || Math.abs(ms - target) < Math.abs(best - target)) best = ms;
  }
  return best;
}

function yearMoved(prefix: Date, year: number): number {
  const t = new Date(prefix.getTime());
  t.setUTCFullYear(year);
  return t.getTime();
}

/** The clock a dated line shows, or null when its payload time is not its logging time. */
export function clockOf(prefix: Date, own: Date): SyslogClock | null {
  const near = nearestYear(prefix, 0, own.getTime());
  const diff = own.getTime() - near;
  if (!Number.isFinite(diff) || Math.abs(diff) > MAX_ZONE_MS) return null;
  return { anchor: own.getTime(), zoneMs: Math.round(diff / QUARTER_HOUR) * QUARTER_HOUR };
}

/** An undated line's time read with a file's clock. */
export function readWithClock(prefix: Date, clock: SyslogClock): Date {
  return dateOf(nearestYear(prefix, clock.zoneMs, clock.anchor));
}

/** `UTC-07:00` style name of a zone offset (prefix time = UTC + offset). */
export function zoneName(zoneMs: number): string {
  const offset = -zoneMs;
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60_000;
  return `UTC${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
