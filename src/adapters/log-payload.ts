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

/**
 * What a platform's forwarder writes before a BOSH job's own text, naming the VM it came from:
 * Metron's syslog forwarder `[job=NAME index=N]` (cloudfoundry/loggregator jobs/metron_agent/templates/
 * syslog_forwarder.conf.erb) and syslog-release's `[bosh instance=DEPLOYMENT/JOB/ID]`
 * (cloudfoundry/syslog-release jobs/syslog_forwarder/templates/rsyslog.conf.erb), as
 * logsearch-for-cloudfoundry's snippets/platform.conf takes them off `@message`. Which program and host
 * wrote the line is still read from its syslog fields alone.
 */
const FORWARDER_PREFIX = /^\[(?:job=\S+ index=\d+|bosh instance=[^\s\]]+)\]\s*/;

/** Parse one payload; null when it is none of the families above. */
export function parsePayload(forwarded: string): LogEvent | null {
  const payload = forwarded.replace(FORWARDER_PREFIX, '');
  const brace = payload.indexOf('{"');
  if (brace >= 0 && brace < 40 && payload.includes('"message"')) {
    if (!BROKER_ACTIONS.some((a) => payload.includes(a))) return null;
    return parseLager(payload.slice(brace));
  }
  return parseConfd(payload) ?? parseCcb(payload) ?? parseContainer(payload);
}
