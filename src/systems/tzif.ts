/**
 * The TZif file format (RFC 8536, versions 1 to 4) of the tz database's zone files: each zone's
 * transitions, its local time types (UTC offset and abbreviation), and the POSIX rule of its footer
 * for the times after its last transition.
 */
/** One local time type of a zone: its offset from UTC in seconds and its abbreviation. */
export interface TimeType {
  utoff: number;
  abbr: string;
}

/** A zone's transitions (UTC seconds, ascending) to its time types, and its POSIX rule for later times. */
export interface Zone {
  name: string;
  times: number[];
  types: TimeType[];
  /** The type each transition switches to (index into types). */
  index: number[];
  /** The standard and summer types of the footer's rule, in force after the last transition. */
  rule: TimeType[];
}

function readTypes(buf: Buffer, at: number, typecnt: number, chars: number): TimeType[] {
  const types: TimeType[] = [];
  for (let i = 0; i < typecnt; i++) {
    const utoff = buf.readInt32BE(at + i * 6);
    const desig = buf[at + i * 6 + 5]!;
    const start = chars + desig;
    const end = buf.indexOf(0, start);
    types.push({ utoff, abbr: buf.toString('latin1', start, end < 0 ? start : end) });
  }
  return types;
}

/** "CET-1CEST,M3.5.0,M10.5.0/3": the standard and summer abbreviations with their offsets (POSIX signs are west-positive). */
function parseRule(footer: string): TimeType[] {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d\d){0,2})(?:(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d\d){0,2})?)?/.exec(footer);
  if (!m) return [];
  const seconds = (t: string): number => {
    const sign = t.startsWith('-') ? -1 : 1;
    const [h = 0, mi = 0, s = 0] = t.replace(/^[+-]/, '').split(':').map(Number);
    return sign * (h * 3600 + mi * 60 + s);
  };
  const name = (n: string): string => n.replace(/^<|>$/g, '');
  const std = { abbr: name(m[1]!), utoff: -seconds(m[2]!) };
  if (!m[3]) return [std];
  return [std, { abbr: name(m[3]), utoff: m[4] ? -seconds(m[4]) : std.utoff + 3600 }];
}

/** A TZif file (RFC 8536), versions 1 to 4; null when it is not one. */
export function parseTzif(name: string, buf: Buffer): Zone | null {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return null;
  const counts = (at: number): number[] => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4));
  let [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = counts(0) as [number, number, number, number, number, number];
  const v1 = 44 + timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
  if (buf[4] === 0 || buf.length < v1 + 44) {
    const types = readTypes(buf, 44 + timecnt * 5, typecnt, 44 + timecnt * 5 + typecnt * 6);
    const times = Array.from({ length: timecnt }, (_, i) => buf.readInt32BE(44 + i * 4));
    const index = Array.from({ length: timecnt }, (_, i) => buf[44 + timecnt * 4 + i]!);
    return { name, times, types, index, rule: [] };
  }
  [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = counts(v1) as [number, number, number, number, number, number];
  const data = v1 + 44;
  const times = Array.from({ length: timecnt }, (_, i) => Number(buf.readBigInt64BE(data + i * 8)));
  const index = Array.from({ length: timecnt }, (_, i) => buf[data + timecnt * 8 + i]!);
  const typesAt = data + timecnt * 9;
  const types = readTypes(buf, typesAt, typecnt, typesAt + typecnt * 6);
  const footerAt = typesAt + typecnt * 6 + charcnt + leapcnt * 12 + isstdcnt + isutcnt;
  const footer = buf.toString('latin1', footerAt).split('\n')[1] ?? '';
  return { name, times, types, index, rule: parseRule(footer) };
}
