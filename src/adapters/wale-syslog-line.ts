/**
 * A wal-e line as the cell's syslog carries it, read for folding (systems/syslog/wale-runs.ts): a
 * large file holds thousands, and each is read whole. The commonest shapes (push-wal's and
 * wal-fetch's `DETAIL:` and `STRUCTURED:` lines behind an RFC 3164 prefix and a container's
 * component, and nothing unusual about them) are read by one native match, far cheaper than the
 * general readers' chain while their code is still cold; the rest go through the general readers
 * (syslog.ts, log-payload.ts). What the one match reads, the general readers read the same
 * (test/adapters/wale-syslog-line.test.ts): anything it is not sure of, it leaves to them.
 */
import { GUID_PATTERN } from '../core/guid.js';
import { escapeRegExp } from '../core/regexp.js';
import { CELL_TOOL_WORDS, COMPONENT_FIELDS } from './container-lines.js';
import { isValidDate } from './log-dates.js';
import type { WaleEvent } from './log-events.js';
import { parsePayload } from './log-payload.js';
import { clockOf, parseSyslog, RFC3164_FIELDS, rfc3164Time, type SyslogLine } from './syslog.js';
import { structuredState, waleTime } from './wale-lines.js';

/** A line that is wal-e's, with a time that is one: its prefix's fields and what it says. */
export interface WaleSyslogLine {
  time: Date;
  host: string;
  tag: string;
  format: SyslogLine['format'];
  yearInferred: boolean;
  wale: WaleEvent;
}

/** An archive's prefix, `scheme://host/.../<guid>/wal/`, with no quote, space or empty segment (groups: prefix, guid). */
const ARCHIVE = String.raw`([a-z0-9+]+:\/\/[^\s"\/]+(?:\/[^\s"\/]+)*?\/(${GUID_PATTERN})\/wal\/)`;

/** Groups: 1-7 the prefix's fields, 8 scope6, 9 component, 10 `Archiving`, 11 STRUCTURED time, 12 action, 13-14 the archive. */
const COMMON = new RegExp(
  String.raw`^${RFC3164_FIELDS}: *${COMPONENT_FIELDS} *` +
    String.raw`(?:DETAIL: (?:Uploading "pg_xlog\/[\w.]+" to|(Archiving) to) "|STRUCTURED: time=([\d:.TZz+-]+) pid=\d+ action=(push-wal|wal-fetch) key=)` +
    ARCHIVE,
);

/**
 * What makes the general readers take a payload for confd's or cf-containers-broker's line. (A
 * broker's JSON is looked for only in a payload's first 40 characters, which here hold the
 * component and wal-e's own words.)
 */
const ELSEWHERE = new RegExp(CELL_TOOL_WORDS.map(escapeRegExp).join('|'));

/** The wal-e line `line` (of a file whose time is `fileTime`) says; null when it is none, or its time is not one. */
export function readWaleSyslogLine(line: string, fileTime: Date): WaleSyslogLine | null {
  return readCommon(line, fileTime) ?? readGeneral(line, fileTime);
}

/** The commonest shapes, in one match; null for any other (which is not to say the line is not wal-e's). */
export function readCommon(line: string, fileTime: Date): WaleSyslogLine | null {
  const m = COMMON.exec(line);
  if (!m) return null;
  const end = m[0].length;
  // The general readers take the first archive of the line: this one, and no other before it.
  if (line.indexOf('/wal/') !== end - 5 || ELSEWHERE.test(line)) return null;
  const time = rfc3164Time(m, fileTime);
  if (!isValidDate(time)) return null;
  const structured = m[12] !== undefined;
  const own = structured ? waleTime(m[11]) : null;
  if (own && !isValidDate(own)) return null;
  const wale: WaleEvent = {
    kind: 'wale',
    archivePrefix: m[13]!,
    instanceGuid: m[14]!,
    action: structured ? (m[12] as 'push-wal' | 'wal-fetch') : 'push-wal',
    state: structured ? structuredState(line, end) : m[10] ? 'complete' : 'begin',
    time: own,
    scope6: m[8] ?? null,
  };
  return { time, host: m[6]!, tag: m[7]!, format: 'rfc3164', yearInferred: true, wale };
}

/** Any line, through the general readers. */
export function readGeneral(line: string, fileTime: Date): WaleSyslogLine | null {
  const sys = parseSyslog(line, fileTime);
  if (!sys?.time || sys.badTime !== undefined) return null;
  const e = parsePayload(sys.payload);
  if (e?.kind !== 'wale' || (e.time && !isValidDate(e.time))) return null;
  return { time: sys.time, host: sys.host, tag: sys.tag, format: sys.format, yearInferred: sys.yearInferred, wale: e };
}

/**
 * Whether a wal-e line's own time (STRUCTURED: time=) may date it. wal-e runs in the tenant's
 * container, so that time is the tenant's to write: a time the platform gave the line (a syslog prefix
 * with its year, an Elasticsearch @timestamp) decides instead. A prefix without a year takes its year and
 * zone from wal-e's time only when the two agree (clockOf) and the time is not after the file was last
 * written (a day allowed for zones).
 */
export function tenantTimeStands(
  own: Date,
  sys: Pick<SyslogLine, 'time' | 'yearInferred'> | null,
  hit: { fileTime: Date; loggedAt?: Date },
): boolean {
  if (hit.loggedAt) return false;
  if (!sys?.time) return true;
  if (!sys.yearInferred) return false;
  return clockOf(sys.time, own) !== null && own.getTime() <= hit.fileTime.getTime() + DAY_MS;
}

const DAY_MS = 86_400_000;
