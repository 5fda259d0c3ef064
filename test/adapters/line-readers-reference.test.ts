import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoDate, utcDate } from '../../src/adapters/log-dates.js';
import { parseSyslog, readWithClock } from '../../src/adapters/syslog.js';
import { archiveIn, waleTime } from '../../src/adapters/wale-lines.js';
import { line as hostileLine } from '../support/hostile-logs.js';

/**
 * The hot line readers are written for speed; each is held here to the plain reading it replaced,
 * on arbitrary lines built from the pieces that matter to it.
 */

const GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';

/** The RFC 3164 reading as one regular expression, payload included. */
const RFC3164 = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\S+) ([^\s:[]+)(?:\[\d+\])?: ?(.*)$/s;

const prefixPiece = fc.constantFrom(
  'Mar',
  'Feb',
  'Foo',
  'mar',
  ' ',
  '  ',
  '\t',
  '\u00a0',
  '7',
  '16',
  '29',
  '30',
  '123',
  '23:10:17',
  '23:10:17.123',
  '2:10:17',
  '.',
  'host',
  '0.router-partition.dingo',
  'broker.stdout.log',
  'CRON',
  '[12]',
  '[x]',
  '[',
  ':',
  ': ',
  ':  ',
  '<14>',
  '<1234>',
  '<>',
  'payload',
  '\n',
  '\u2028',
);
const syslogish = fc.oneof(
  fc.array(prefixPiece, { maxLength: 14 }).map((p) => p.join('')),
  fc
    .tuple(fc.constantFrom('', '<14>', '<1>'), fc.constantFrom('Mar', 'Feb', 'Dec'), fc.constantFrom(' 7', '16', '7', '29', '30', '31'))
    .chain(([pri, m, d]) =>
      fc
        .tuple(fc.array(prefixPiece, { maxLength: 6 }), fc.string({ maxLength: 20 }))
        .map(([rest, tail]) => `${pri}${m} ${d} 23:10:17 ${rest.join('')}${tail}`),
    ),
  hostileLine,
);

const archivePiece = fc.constantFrom(
  's3://',
  'gs+s3://',
  'S3://',
  'bucket',
  '/backups/',
  '/',
  GUID,
  GUID.toUpperCase(),
  GUID.slice(1),
  '/wal/',
  'wal_005/1.lzo',
  ' ',
  '"',
  '\t',
  '\u3000',
  'x',
  'prefix=backups/',
);

/** archiveIn as it read the prefix with regular expressions. */
function archiveInByRegex(text: string): { prefix: string; guid: string } | null {
  let at = text.indexOf('/wal/');
  while (at >= 0) {
    if (
      at >= 37 &&
      text.charCodeAt(at - 37) === 47 &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text.slice(at - 36, at))
    ) {
      const guid = text.slice(at - 36, at);
      const scheme = text.lastIndexOf('://', at);
      if (scheme > 0) {
        let start = scheme;
        while (start > 0 && /[a-z0-9+]/.test(text[start - 1]!)) start -= 1;
        const prefix = text.slice(start, at + 5);
        if (start < scheme && !/[\s"]/.test(prefix)) return { prefix, guid };
      }
    }
    at = text.indexOf('/wal/', at + 1);
  }
  return null;
}

/** utcDate as it built every date, through setUTCFullYear. */
function utcDateBySetters(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const t = new Date(0);
  t.setUTCFullYear(year, month, day);
  t.setUTCHours(hour, minute, second, ms);
  return t.getTime();
}

/** readWithClock as it moved the prefix into each candidate year with setUTCFullYear. */
function readWithClockBySetters(prefix: Date, clock: { anchor: number; zoneMs: number }): number {
  let best = Number.NaN;
  for (const delta of [-1, 0, 1]) {
    const t = new Date(prefix.getTime());
    t.setUTCFullYear(new Date(clock.anchor).getUTCFullYear() + delta);
    const ms = t.getTime() + clock.zoneMs;
    if (Number.isNaN(best) || Math.abs(ms - clock.anchor) < Math.abs(best - clock.anchor)) best = ms;
  }
  return best;
}

/** waleTime as it rewrote wal-e's time into ISO 8601 for isoDate. */
function waleTimeByIso(s: string): Date | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,3})?\d*([+-]\d\d)(?::?(\d\d))?$/.exec(s);
  if (!m) return isoDate(s);
  return isoDate(`${m[1]}${m[2] ?? ''}${m[3]}:${m[4] ?? '00'}`);
}

describe('the hot line readers, against the plain readings', () => {
  it('parseSyslog reads an RFC 3164 prefix, host, tag and payload exactly as the whole-line expression', () => {
    fc.assert(
      fc.property(syslogish, (line) => {
        const m = RFC3164.exec(line);
        const s = parseSyslog(line, new Date('2017-01-05T00:00:00Z'));
        if (s?.format === 'rfc5424') return;
        const month = m && ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].includes(m[1]!);
        if (!m || !month) {
          expect(s).toBeNull();
          return;
        }
        expect(s).not.toBeNull();
        expect([s!.host, s!.tag, s!.payload]).toEqual([m[6], m[7], m[8]!.trimStart()]);
      }),
      { seed: 3164, numRuns: 4000 },
    );
  });

  it('archiveIn finds the same archive prefix and GUID as the regular-expression reading', () => {
    const around = fc.array(archivePiece, { maxLength: 5 }).map((p) => p.join(''));
    const shaped = fc
      .tuple(
        around,
        fc.constantFrom('s3://', 'gs+s3://', 'S3://', '://', 'x3://'),
        around,
        fc.constantFrom(GUID, GUID.toUpperCase(), 'not-a-guid'),
        around,
      )
      .map(([before, scheme, mid, guid, after]) => `${before}${scheme}${mid}/${guid}/wal/${after}`);
    fc.assert(
      fc.property(fc.oneof(shaped, around), (text) => {
        expect(archiveIn(text)).toEqual(archiveInByRegex(text));
      }),
      { seed: 5005, numRuns: 4000 },
    );
  });

  it('parseSyslog dates each line as utcDate does, whatever days the lines of files take turns on', () => {
    const files = [new Date('2017-01-05T00:00:00Z'), new Date('2016-03-18T00:00:00Z'), new Date('2101-03-01T00:00:00Z')];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('Jan', 'Feb', 'Mar', 'Dec'),
            fc.integer({ min: 0, max: 31 }),
            fc.integer({ min: 0, max: 25 }),
            fc.integer({ min: 0, max: 61 }),
            fc.integer({ min: 0, max: 2 }),
          ),
          { maxLength: 30 },
        ),
        (lines) => {
          for (const [mon, day, h, mi, f] of lines) {
            const line = `${mon} ${String(day).padStart(2, ' ')} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(mi).padStart(2, '0')} host tag: x`;
            const fileTime = files[f]!;
            const month = ['Jan', 'Feb', 'Mar', 'Dec'].indexOf(mon);
            const monthIndex = [0, 1, 2, 11][month]!;
            let year = fileTime.getUTCFullYear();
            if (Date.UTC(year, monthIndex, day) - fileTime.getTime() > 31 * 86_400_000) year -= 1;
            if (monthIndex === 1 && day === 29)
              while (Number.isNaN(utcDate(year, 1, 29, 0, 0, 0).getTime()) && year > fileTime.getUTCFullYear() - 8) year -= 1;
            const want = utcDate(year, monthIndex, day, h, mi, mi);
            const s = parseSyslog(line, fileTime)!;
            expect(s.time?.getTime() ?? null).toBe(Number.isNaN(want.getTime()) ? null : want.getTime());
            expect(s.badTime !== undefined).toBe(Number.isNaN(want.getTime()));
          }
        },
      ),
      { seed: 29, numRuns: 500 },
    );
  });

  it('readWithClock moves a prefix into the year nearest the anchor as setUTCFullYear does', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: -26, max: 26 }).map((h) => h * 3_600_000),
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (prefix, zoneMs, anchor) => {
          const clock = { anchor: anchor.getTime(), zoneMs };
          expect(readWithClock(prefix, clock).getTime()).toBe(readWithClockBySetters(prefix, clock));
        },
      ),
      { seed: 1601, numRuns: 3000 },
    );
  });

  it('waleTime reads what wal-e writes, and what it should not, as the ISO 8601 rewriting did', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const written = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0')),
        two(13),
        two(32),
        two(25),
        two(61),
        two(61),
        fc.constantFrom('', '.', '.8', '.81', '.811154', '11'),
        fc.constantFrom('-00', '+00', '-07', '+05:30', '+0530', '-99', '+12:75', '-07:', '+05:3', '+053', 'Z', ''),
      )
      .map(([y, mo, d, h, mi, s2, frac, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${s2}${frac}${zone}`);
    fc.assert(
      fc.property(fc.oneof(written, fc.string({ maxLength: 30 })), (s) => {
        const want = s ? waleTimeByIso(s) : null;
        const got = waleTime(s);
        expect(got === null ? null : Number.isNaN(got.getTime()) ? 'invalid' : got.getTime()).toEqual(
          want === null ? null : Number.isNaN(want.getTime()) ? 'invalid' : want.getTime(),
        );
      }),
      { seed: 2016, numRuns: 4000 },
    );
  });

  it('utcDate gives the same instant as setting each field, for every year it takes, and refuses what does not exist', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 275_000 }),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999 }),
        (y, mo, d, h, mi, s, ms) => {
          const got = utcDate(y, mo, d, h, mi, s, ms);
          const want = utcDateBySetters(y, mo, d, h, mi, s, ms);
          const exists = new Date(want).getUTCDate() === d;
          expect(Number.isNaN(got.getTime()) ? null : got.getTime()).toBe(exists && !Number.isNaN(want) ? want : null);
        },
      ),
      { seed: 1970, numRuns: 4000 },
    );
    expect(utcDate(99, 0, 1, 0, 0, 0).getUTCFullYear()).toBe(99);
    expect(utcDate(2016, 1, 30, 0, 0, 0).getTime()).toBeNaN();
  });
});
