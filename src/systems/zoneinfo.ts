/**
 * What a time zone abbreviation (CET, EDT, IST…) can mean at a given date: the UTC offsets it
 * names in the IANA zones of this machine's tz database (TZif files under $TZDIR, else
 * /usr/share/zoneinfo), the data PostgreSQL's log_timezone takes its abbreviations from. One
 * abbreviation may name several offsets (IST: India, Ireland, Israel); an unknown one names none.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTzif, type TimeType, type Zone } from './tzif.js';
import { invocation } from '../core/invocation.js';

const YEAR_S = 366 * 86_400;

/** The time types a zone may have been in around `utc` (a year either side): what its clocks could have read then. */
function typesAround(z: Zone, utc: number): TimeType[] {
  const out = new Set<TimeType>();
  let before: TimeType | undefined = z.types[0];
  for (let i = 0; i < z.times.length; i++) {
    const t = z.times[i]!;
    if (t <= utc - YEAR_S) before = z.types[z.index[i]!];
    else if (t <= utc + YEAR_S) out.add(z.types[z.index[i]!]!);
  }
  if (before) out.add(before);
  const last = z.times[z.times.length - 1];
  if (last === undefined || last < utc + YEAR_S) for (const t of z.rule) out.add(t);
  return [...out];
}

let zones: Promise<Zone[]> | undefined;

async function zoneFiles(root: string, rel = ''): Promise<Zone[]> {
  const out: Zone[] = [];
  const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    // posix/ and right/ repeat every zone (right/ with leap seconds); the rest are tables, not zones.
    if (e.isDirectory()) {
      if (rel === '' && (e.name === 'posix' || e.name === 'right')) continue;
      out.push(...(await zoneFiles(root, name)));
    } else if (e.isFile() && /^[A-Z]/.test(e.name)) {
      const zone = parseTzif(name, await readFile(join(root, name)).catch(() => Buffer.alloc(0)));
      if (zone) out.push(zone);
    }
  }
  return out;
}

/** The tz database of this machine, read once. */
function tzDatabase(): Promise<Zone[]> {
  zones ??= zoneFiles(invocation().env.TZDIR ?? '/usr/share/zoneinfo');
  return zones;
}

/** What an abbreviation could mean at a local clock time: each UTC offset (seconds east) with the zones that use it then. */
export interface AbbreviationMeaning {
  utoff: number;
  zones: string[];
}

/**
 * The UTC offsets `abbr` names in some IANA zone at the local clock time `local` (its digits read
 * as if in UTC, in ms), with the zones; empty when no zone of this machine's tz database uses it.
 */
export async function abbreviationOffsets(abbr: string, local: number): Promise<AbbreviationMeaning[]> {
  const found = new Map<number, string[]>();
  for (const z of await tzDatabase()) {
    for (const t of typesAround(z, Math.floor(local / 1000))) {
      if (t.abbr !== abbr) continue;
      const list = found.get(t.utoff) ?? [];
      if (!list.includes(z.name)) list.push(z.name);
      found.set(t.utoff, list);
    }
  }
  return [...found].map(([utoff, zones]) => ({ utoff, zones })).sort((a, b) => a.utoff - b.utoff);
}
