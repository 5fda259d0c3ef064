/** wal-e's lines: which archive an instance writes to, and when it pushed WAL or a base backup. */
import { isoDate } from './log-dates.js';
import { isGuidAt } from '../core/guid.js';
import { type WaleEvent } from './log-events.js';

/** wal-e's MSG/DETAIL/STRUCTURED lines and aws-cli's sysid upload, without the container prefix. */
export function parseWale(text: string): WaleEvent | null {
  const a = archiveIn(text);
  if (!a) return null;
  const base = { kind: 'wale' as const, archivePrefix: a.prefix, instanceGuid: a.guid };
  if (text.startsWith('STRUCTURED:')) {
    const actionText = field(text, 'action');
    const action = actionText === 'push-wal' ? 'push-wal' : actionText === 'wal-fetch' ? 'wal-fetch' : null;
    if (!action) return null;
    const stateText = field(text, 'state');
    const state = stateText === 'begin' || stateText === 'complete' ? stateText : null;
    return { ...base, action, state, time: waleTime(field(text, 'time') ?? undefined) };
  }
  if (text.startsWith('DETAIL: Uploading "pg_xlog/')) return { ...base, action: 'push-wal', state: 'begin', time: null };
  if (text.startsWith('DETAIL: Archiving to "')) return { ...base, action: 'push-wal', state: 'complete', time: null };
  if (text.startsWith('DETAIL: Uploading to ') && text.includes('/basebackups_005/'))
    return { ...base, action: 'base-backup', state: null, time: null };
  if (text.startsWith('upload: ') && text.includes('/sysids/sysid')) return { ...base, action: 'sysid', state: null, time: null };
  return null;
}

/** The value of ` key=value` in a STRUCTURED line. */
function field(text: string, key: string): string | null {
  const at = text.indexOf(` ${key}=`);
  if (at < 0) return null;
  const from = at + key.length + 2;
  const end = text.indexOf(' ', from);
  return text.slice(from, end < 0 ? text.length : end);
}

/** `scheme://bucket/.../<guid>/wal/` around the first `/wal/` that follows a GUID (hot: no regex scan). */
export function archiveIn(text: string): { prefix: string; guid: string } | null {
  let at = text.indexOf('/wal/');
  while (at >= 0) {
    if (at >= 37 && text.charCodeAt(at - 37) === 47 && isGuidAt(text, at - 36)) {
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

/** wal-e writes `2016-03-17T02:11:48.811154-00`: microseconds and an hours-only offset; INVALID_DATE when it is not a time. */
export function waleTime(s: string | undefined): Date | null {
  if (!s) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,3})?\d*([+-]\d\d)(?::?(\d\d))?$/.exec(s);
  if (!m) return isoDate(s);
  return isoDate(`${m[1]}${m[2] ?? ''}${m[3]}:${m[4] ?? '00'}`);
}
