/** wal-e's lines: which archive an instance writes to, and when it pushed WAL or a base backup. */
import { dateOf, INVALID_DATE, isoDate, isValidDate, utcDate } from './log-dates.js';
import { isGuidAt } from '../core/guid.js';
import { type WaleEvent } from './log-events.js';

/** wal-e's MSG/DETAIL/STRUCTURED lines and aws-cli's sysid upload, without the container prefix. */
export function parseWale(text: string, scope6: string | null = null): WaleEvent | null {
  const a = archiveIn(text);
  if (!a) return null;
  if (text.startsWith('STRUCTURED:')) {
    const actionText = field(text, 'action');
    const action = actionText === 'push-wal' ? 'push-wal' : actionText === 'wal-fetch' ? 'wal-fetch' : null;
    if (!action) return null;
    return event(a, action, structuredState(text), waleTime(field(text, 'time') ?? undefined), scope6);
  }
  if (text.startsWith('DETAIL: Uploading "pg_xlog/')) return event(a, 'push-wal', 'begin', null, scope6);
  if (text.startsWith('DETAIL: Archiving to "')) return event(a, 'push-wal', 'complete', null, scope6);
  if (text.startsWith('DETAIL: Uploading to ') && text.includes('/basebackups_005/')) return event(a, 'base-backup', null, null, scope6);
  if (text.startsWith('upload: ') && text.includes('/sysids/sysid')) return event(a, 'sysid', null, null, scope6);
  return null;
}

function event(
  a: { prefix: string; guid: string },
  action: WaleEvent['action'],
  state: WaleEvent['state'],
  time: Date | null,
  scope6: string | null,
): WaleEvent {
  return { kind: 'wale', archivePrefix: a.prefix, instanceGuid: a.guid, action, state, time, scope6 };
}

/** The state a STRUCTURED line gives (its first ` state=`, at `from` or after), when it is one wal-e writes. */
export function structuredState(text: string, from = 0): WaleEvent['state'] {
  const state = field(text, 'state', from);
  return state === 'begin' || state === 'complete' ? state : null;
}

/** The value of the first ` key=value` in a STRUCTURED line, at `from` or after. */
function field(text: string, key: string, from = 0): string | null {
  const at = text.indexOf(` ${key}=`, from);
  if (at < 0) return null;
  const value = at + key.length + 2;
  const end = text.indexOf(' ', value);
  return text.slice(value, end < 0 ? text.length : end);
}

/** A quote or white space: what an archive's prefix holds none of. */
const SPACE_OR_QUOTE = /[\s"]/;

/**
 * `scheme://bucket/.../<guid>/wal/` around the first `/wal/` that follows a GUID. Hot: no regex
 * scans the line; the checks at a place are native matches, cheaper than loops over characters.
 */
export function archiveIn(text: string): { prefix: string; guid: string } | null {
  let at = text.indexOf('/wal/');
  while (at >= 0) {
    if (at >= 37 && text.charCodeAt(at - 37) === 47 && isGuidAt(text, at - 36)) {
      const scheme = text.lastIndexOf('://', at);
      if (scheme > 0) {
        let start = scheme;
        while (start > 0 && isSchemeChar(text.charCodeAt(start - 1))) start -= 1;
        const prefix = text.slice(start, at + 5);
        if (start < scheme && !SPACE_OR_QUOTE.test(prefix)) return { prefix, guid: text.slice(at - 36, at) };
      }
    }
    at = text.indexOf('/wal/', at + 1);
  }
  return null;
}

/** [a-z0-9+] */
function isSchemeChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43;
}

/** wal-e's time: microseconds and an hours-only offset (`2016-03-17T02:11:48.811154-00`). */
const WALE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?\d*([+-])(\d\d)(?::?(\d\d))?$/;

/** wal-e writes `2016-03-17T02:11:48.811154-00`: microseconds and an hours-only offset; INVALID_DATE when it is not a time. */
export function waleTime(s: string | undefined): Date | null {
  if (!s) return null;
  const m = WALE_TIME.exec(s);
  if (!m) return isoDate(s);
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const local = utcDate(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  const hours = Number(m[9]);
  const minutes = m[10] ? Number(m[10]) : 0;
  if (!isValidDate(local) || hours > 23 || minutes > 59) return INVALID_DATE;
  return dateOf(local.getTime() - (m[8] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000);
}
