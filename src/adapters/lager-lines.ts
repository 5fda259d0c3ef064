/**
 * The broker's lager JSON lines (both generations). Passwords met on the way (restore.done)
 * are not registered: a log payload may be a tenant's text (see core/redact.ts).
 */
import { dateOf, INVALID_DATE, isoDate } from './log-dates.js';
import type { BrokerEvent } from './log-events.js';
import { isRecord, recordAt } from '../core/json.js';

export function parseLager(json: string): BrokerEvent | null {
  let obj: unknown;
  try {
    obj = JSON.parse(json.trimEnd());
  } catch {
    return null;
  }
  if (!isRecord(obj)) return null;
  const rec = obj;
  const message = rec.message;
  if (typeof message !== 'string') return null;
  const source = typeof rec.source === 'string' ? rec.source : '';
  const data = recordAt(rec, 'data') ?? {};
  const action = source && message.startsWith(`${source}.`) ? message.slice(source.length + 1) : message;
  return { kind: 'broker', source, action, time: lagerTime(rec.timestamp), data };
}

/** Lager's time: epoch seconds (`"1458195017.896692991"`) or RFC 3339; INVALID_DATE when it is not a time. */
function lagerTime(ts: unknown): Date | null {
  if (typeof ts === 'string' && /^\d+(\.\d+)?$/.test(ts)) return dateOf(Math.round(Number(ts) * 1000));
  if (typeof ts === 'number') return dateOf(Math.round(ts * 1000));
  if (typeof ts === 'string') return isoDate(ts);
  return ts === undefined || ts === null ? null : INVALID_DATE;
}
