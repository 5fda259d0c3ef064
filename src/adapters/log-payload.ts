/**
 * Parsers for the payloads of the line families that identify a Dingo PostgreSQL instance:
 * broker lager JSON (both generations), confd haproxy updates, cf-containers-broker container
 * creation, the container's "public address" and wal-e lines, patroni and restore lines.
 * Secrets met on the way (passwords in restore.done, AWS keys in Create options) are registered
 * for redaction the moment they are read.
 */
import { isSecretName, secrets } from '../core/redact.js';
import { dateOf, INVALID_DATE, isoDate } from './log-dates.js';
import { GUID_PATTERN as GUID, isGuid } from '../core/guid.js';
import { isRecord, recordAt } from './unknown-values.js';

export { GUID, isGuid };

export type LogEvent =
  | BrokerEvent
  | { kind: 'haproxy'; state: 'md5' | 'out-of-sync' | 'updated'; time: Date | null }
  | { kind: 'container-creating'; nodeUuid: string }
  | { kind: 'container-options'; nodeUuid: string | null; patroniScope: string | null }
  | { kind: 'public-address'; ip: string; port: string | null; format: 'march-2016' | 'july-2016' }
  | { kind: 'etcd-lookup'; cellHost: string; nodeUuid: string }
  | WaleEvent
  | ContainerEvent;

export interface BrokerEvent {
  kind: 'broker';
  /** `patroni-broker` (March 2016) or `dingo-postgresql-broker` (2017). */
  source: string;
  /** The message without its source prefix, e.g. `cluster.remove-node.perform`. */
  action: string;
  time: Date | null;
  data: Record<string, unknown>;
}

export interface WaleEvent {
  kind: 'wale';
  action: 'push-wal' | 'base-backup' | 'sysid' | 'wal-fetch';
  state: 'begin' | 'complete' | null;
  /** `s3://bucket/backups/<guid>/wal/` */
  archivePrefix: string;
  instanceGuid: string;
  time: Date | null;
}

export interface ContainerEvent {
  kind: 'container';
  /** patroni, backup, startup, restore_leader_if_missing, shutdown... */
  component: string;
  /** The first six characters of PATRONI_SCOPE that newer images put before the component. */
  scope6: string | null;
  text: string;
  milestone: 'restore-prepared' | 'bootstrap-without-leader' | 'promoted' | 'sysid-mismatch' | 'end-of-archive' | null;
}

/** Parse one payload; null when it is none of the families above. */
/** Broker actions worth decoding; the rest of the broker's chatter is skipped before JSON.parse. */
const BROKER_ACTIONS = ['node.perform', 'provision', 'recreation-data', 'restore.done', 'remove-cluster-assignment'];

export function parsePayload(payload: string): LogEvent | null {
  const brace = payload.indexOf('{"');
  if (brace >= 0 && brace < 40 && payload.includes('"message"')) {
    if (!BROKER_ACTIONS.some((a) => payload.includes(a))) return null;
    return parseLager(payload.slice(brace));
  }
  return parseConfd(payload) ?? parseCcb(payload) ?? parseContainer(payload);
}

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

const CONFD =
  /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \S+ confd\[\d+\]: INFO (?:Target config )?\S*haproxy\.cfg (has md5sum|out of sync|has been updated)/;

function parseConfd(payload: string): LogEvent | null {
  if (!payload.includes('haproxy.cfg')) return null;
  const m = CONFD.exec(payload);
  if (!m) return null;
  const state = m[2] === 'has md5sum' ? 'md5' : m[2] === 'out of sync' ? 'out-of-sync' : 'updated';
  return { kind: 'haproxy', state, time: isoDate(m[1]!) };
}

const CREATING = new RegExp(`Creating Docker container \`cf-(${GUID})'`);
const OPTIONS_SCOPE = new RegExp(`PATRONI_SCOPE=(${GUID})`);
const OPTIONS_NODE = new RegExp(
  `["']instance_id["']\\s*=>\\s*["'](${GUID})["']|NODE_ID=(${GUID})|["']name["']\\s*=>\\s*["']cf-(${GUID})["']`,
);
const ENV_ENTRY = /\b([A-Z][A-Z0-9_]*)=([^"',\]\s]*)/g;

function parseCcb(payload: string): LogEvent | null {
  const creating = payload.includes('Creating Docker container') ? CREATING.exec(payload) : null;
  if (creating) return { kind: 'container-creating', nodeUuid: creating[1]! };
  if (!payload.includes('Create options:')) return null;
  // The options carry the container environment: AWS keys and database passwords.
  secrets.registerEnv([...payload.matchAll(ENV_ENTRY)].map((m) => `${m[1]}=${m[2]}`));
  const scope = OPTIONS_SCOPE.exec(payload);
  const node = OPTIONS_NODE.exec(payload);
  return {
    kind: 'container-options',
    patroniScope: scope ? scope[1]! : null,
    nodeUuid: node ? (node[1] ?? node[2] ?? node[3])! : null,
  };
}

const COMPONENT = /^(?:([0-9a-f]{6})-)?([a-z_]+)> ?(.*)$/s;
const PUBLIC_JULY = /^public :(\d+) address (\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|[\w.-]+):(\d+)/;
const PUBLIC_MARCH = /^public address (\d{1,3}(?:\.\d{1,3}){3}|[\w.-]+):(\d+)/;
const ETCD_LOOKUP = new RegExp(`^looking up public host:port from etcd -> \\S+?/v2/keys/postgresql-patroni/([^:\\s]+):cf-(${GUID}):\\d+`);

function parseContainer(payload: string): LogEvent | null {
  const c = COMPONENT.exec(payload);
  const scope6 = c ? (c[1] ?? null) : null;
  const component = c ? c[2]! : '';
  const text = (c ? c[3]! : payload).trimStart();

  const july = PUBLIC_JULY.exec(text);
  if (july) return july[1] === '5432' ? { kind: 'public-address', ip: july[2]!, port: july[3]!, format: 'july-2016' } : null;
  const march = PUBLIC_MARCH.exec(text);
  if (march) return { kind: 'public-address', ip: march[1]!, port: march[2]!, format: 'march-2016' };
  const lookup = ETCD_LOOKUP.exec(text);
  if (lookup) return { kind: 'etcd-lookup', cellHost: lookup[1]!, nodeUuid: lookup[2]! };

  const wale = parseWale(text);
  if (wale) return wale;
  if (!c) return null;
  return { kind: 'container', component, scope6, text, milestone: milestoneOf(text) };
}

function milestoneOf(text: string): ContainerEvent['milestone'] {
  if (text.includes('preparing patroni to restore this container from wal-e backups')) return 'restore-prepared';
  if (text.includes('trying to bootstrap (without leader)')) return 'bootstrap-without-leader';
  if (text.includes('promoted self to leader')) return 'promoted';
  if (text.includes('system ID mismatch')) return 'sysid-mismatch';
  if (text.includes('could no longer locate object while performing wal restore')) return 'end-of-archive';
  return null;
}

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
    const guid = text.slice(at - 36, at);
    if (at >= 37 && text.charCodeAt(at - 37) === 47 && isGuid(guid)) {
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
