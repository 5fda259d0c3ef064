/**
 * Reads the payload of a log line as one of the families that identify a Dingo PostgreSQL
 * instance: broker lager JSON (lager-lines.ts), confd, cf-containers-broker and container lines
 * (container-lines.ts), wal-e lines (wale-lines.ts). Secrets met on the way (passwords in
 * restore.done, AWS keys in Create options) are never registered: any payload may be a tenant's.
 */
import { parseCcb, parseConfd, parseContainer } from './container-lines.js';
import { parseLager } from './lager-lines.js';
import type { LogEvent } from './log-events.js';

/** Broker actions worth decoding; the rest of the broker's chatter is skipped before JSON.parse. */
export const BROKER_ACTIONS = ['node.perform', 'provision', 'recreation-data', 'restore.done', 'remove-cluster-assignment', 'run-cluster'];

/** Parse one payload; null when it is none of the families above. */
export function parsePayload(payload: string): LogEvent | null {
  const brace = payload.indexOf('{"');
  if (brace >= 0 && brace < 40 && payload.includes('"message"')) {
    if (!BROKER_ACTIONS.some((a) => payload.includes(a))) return null;
    return parseLager(payload.slice(brace));
  }
  return parseConfd(payload) ?? parseCcb(payload) ?? parseContainer(payload);
}
