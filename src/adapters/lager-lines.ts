/**
 * The broker's lager JSON lines (both generations). Secrets met on the way (passwords in
 * restore.done) are registered for redaction the moment they are read.
 */
import { isSecretName, secrets } from '../core/redact.js';
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
  registerSecretsIn(rec.data);
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

/** Register every value under a secret-looking key (password, secret...), at any depth. */
export function registerSecretsIn(value: unknown, depth = 0): void {
  if (depth > 8 || !value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && isSecretName(k)) secrets.register(v);
    else if (typeof v === 'object') registerSecretsIn(v, depth + 1);
  }
}
