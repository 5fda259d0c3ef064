/**
 * The cell's lines: confd's haproxy updates, cf-containers-broker's container creation (whose
 * options carry AWS keys, masked where the line is quoted, never registered from a log), and the
 * container's own lines (public address, etcd lookup, wal-e, patroni and restore milestones).
 */
import { isoDate } from './log-dates.js';
import { GUID_PATTERN as GUID } from '../core/guid.js';
import { type ContainerEvent, type LogEvent } from './log-events.js';
import { parseWale } from './wale-lines.js';

/** The words without which confd's and cf-containers-broker's readers pass a payload by, each the first thing they look for. */
const CONFD_WORD = 'haproxy.cfg';
const CREATING_WORD = 'Creating Docker container';
const OPTIONS_WORD = 'Create options:';
/** Those words: a payload with none of them is no line of confd's or cf-containers-broker's. */
export const CELL_TOOL_WORDS = [CONFD_WORD, CREATING_WORD, OPTIONS_WORD] as const;

const CONFD =
  /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \S+ confd\[\d+\]: INFO (?:Target config )?\S*haproxy\.cfg (has md5sum|out of sync|has been updated)/;

export function parseConfd(payload: string): LogEvent | null {
  if (!payload.includes(CONFD_WORD)) return null;
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

export function parseCcb(payload: string): LogEvent | null {
  const creating = payload.includes(CREATING_WORD) ? CREATING.exec(payload) : null;
  if (creating) return { kind: 'container-creating', nodeUuid: creating[1]! };
  if (!payload.includes(OPTIONS_WORD)) return null;
  const scope = OPTIONS_SCOPE.exec(payload);
  const node = OPTIONS_NODE.exec(payload);
  return {
    kind: 'container-options',
    patroniScope: scope ? scope[1]! : null,
    nodeUuid: node ? (node[1] ?? node[2] ?? node[3])! : null,
  };
}

/** `[scope6-]component>`: what the container's processes put before their text (groups: scope6, component), to build on. */
export const COMPONENT_FIELDS = String.raw`(?:([0-9a-f]{6})-)?([a-z_]+)>`;
/** The component, up to its text (which is the rest of the line). */
const COMPONENT = new RegExp(String.raw`^${COMPONENT_FIELDS} ?`);
const PUBLIC_JULY = /^public :(\d+) address (\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|[\w.-]+):(\d+)/;
const PUBLIC_MARCH = /^public address (\d{1,3}(?:\.\d{1,3}){3}|[\w.-]+):(\d+)/;
/**
 * The registrator entry the startup script reads: /v2/keys/${REGISTRATOR_DOCKER_IMAGE}/${DOCKER_HOSTNAME}:${NAME}:5432
 * (dingo-postgresql-release images/*-patroni/scripts/run.sh), its image `postgresql-patroni` in March 2016 and the
 * registrator's name of the image since (`dingo-postgresql95`...).
 */
const ETCD_LOOKUP = new RegExp(`^looking up public host:port from etcd -> \\S+?/v2/keys/\\S+?/([^:/\\s]+):cf-(${GUID}):\\d+`);

export function parseContainer(payload: string): LogEvent | null {
  const c = COMPONENT.exec(payload);
  const scope6 = c ? (c[1] ?? null) : null;
  const component = c ? c[2]! : null;
  const text = (c ? payload.slice(c[0].length) : payload).trimStart();

  const july = PUBLIC_JULY.exec(text);
  if (july)
    return july[1] === '5432' ? { kind: 'public-address', ip: july[2]!, port: july[3]!, format: 'july-2016', scope6, component } : null;
  const march = PUBLIC_MARCH.exec(text);
  if (march) return { kind: 'public-address', ip: march[1]!, port: march[2]!, format: 'march-2016', scope6, component };
  const lookup = ETCD_LOOKUP.exec(text);
  if (lookup) return { kind: 'etcd-lookup', cellHost: lookup[1]!, nodeUuid: lookup[2]! };

  const wale = parseWale(text, scope6);
  if (wale) return wale;
  if (!c || component === null) return null;
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

/**
 * What a restoring container's own line (`docker logs`, without the syslog prefix) says of the
 * restore, judged on the exact sentences the image's scripts, Patroni v0.90 and wal-e 0.9 write
 * (each under its component, Patroni's after its `%(asctime)s %(levelname)s: ` prefix), so a
 * PostgreSQL error a tenant's query raised (`ERROR:  system ID mismatch`) is never taken for one.
 */
export type RestoreSignal =
  /** restore_leader_if_missing.sh found a `/leader` and left the node to join that leader. */
  | { kind: 'leader-exists' }
  /** Patroni finds the cluster locked by a leader it tries to clone from. */
  | { kind: 'bootstrap-from-leader'; leader: string }
  /** Patroni finds no leader, `/initialize` set, and no way to make a replica without one. */
  | { kind: 'waiting-for-leader' }
  /** Patroni's data and etcd's `/initialize` name different databases: it exits. */
  | { kind: 'sysid-mismatch'; text: string }
  /** Patroni makes a new empty database (no `/initialize`, no leader). */
  | { kind: 'new-cluster' }
  | { kind: 'restore-prepared' }
  | { kind: 'bootstrap-without-leader' }
  /** wal-e's backup-fetch begins a partition of the base backup (`part_00000003.tar.lzo`). */
  | { kind: 'partition'; part: number }
  /** wal-e's wal-fetch of one segment, begun or complete (a prefetched one handed over is complete). */
  | { kind: 'wal-fetch'; segment: string; state: 'begin' | 'complete' }
  /** wal-fetch or wal-prefetch found no such segment: the archive's end. */
  | { kind: 'not-in-archive'; segment: string }
  | { kind: 'promoted' };

/** Patroni's logging prefix: `2016-03-18 01:05:31,123 INFO: `. */
const PATRONI_LOG = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL): (.*)$/;
const SYSID_MISMATCH = /^system ID mismatch, node \S+ belongs to a different cluster: \d* != \d*$/;
const FROM_LEADER = /^trying to bootstrap from (?:leader|replica) '([^']*)'$/;
const PARTITION = /^DETAIL: The partition being downloaded is part_(\d{8})\.tar\.lzo\.$/;
/**
 * wal-fetch's STRUCTURED line (fields sorted by name, wal_e/log_help.py): `state=begin|complete`
 * around an in-band download, none when it hands over the segment a `wal-prefetch` brought ahead
 * ("promoted prefetched wal segment", operator/backup.py wal_restore), which is the segment brought.
 */
const WAL_FETCH = /^STRUCTURED: time=\S+ pid=\d+ action=wal-fetch key=\S+ prefix=\S+ seg=([0-9A-F]{24})(?: state=(begin|complete))?$/;
/** do_lzop_get's miss (WARNING in wal-e 0.9, INFO later), named by its DETAIL line: the object's URI. */
const MISSED = /^DETAIL: The absolute URI that could not be located is \S+\/wal_005\/([0-9A-F]{24})\.lzo\.$/;

export function restoreSignalOf(line: string): RestoreSignal | null {
  const c = COMPONENT.exec(line);
  if (!c) return null;
  const component = c[2]!;
  const text = line.slice(c[0].length).trim();
  if (component === 'restore_leader_if_missing') {
    if (text === 'leader exists, no additional preparation required for container to join cluster') return { kind: 'leader-exists' };
    if (text === 'preparing patroni to restore this container from wal-e backups') return { kind: 'restore-prepared' };
    return null;
  }
  if (component !== 'patroni') return null;
  const patroni = PATRONI_LOG.exec(text);
  if (patroni) return patroniSignal(patroni[2]!);
  const partition = PARTITION.exec(text);
  if (partition) return { kind: 'partition', part: Number(partition[1]) };
  const fetch = WAL_FETCH.exec(text);
  if (fetch) return { kind: 'wal-fetch', segment: fetch[1]!, state: (fetch[2] ?? 'complete') as 'begin' | 'complete' };
  const missed = MISSED.exec(text);
  if (missed) return { kind: 'not-in-archive', segment: missed[1]! };
  return null;
}

function patroniSignal(message: string): RestoreSignal | null {
  if (SYSID_MISMATCH.test(message)) return { kind: 'sysid-mismatch', text: message };
  const leader = FROM_LEADER.exec(message);
  if (leader) return { kind: 'bootstrap-from-leader', leader: leader[1]! };
  switch (message) {
    case 'waiting for leader to bootstrap':
      return { kind: 'waiting-for-leader' };
    // v0.90 (ha.py `bootstrap`) runs initdb and starts PostgreSQL within one cycle and says only
    // the outcome; later Patroni bootstraps in the background and says first that it tries.
    case 'initialized a new cluster':
    case 'trying to bootstrap a new cluster':
      return { kind: 'new-cluster' };
    case 'trying to bootstrap (without leader)':
      return { kind: 'bootstrap-without-leader' };
    case 'promoted self to leader by acquiring session lock':
      return { kind: 'promoted' };
    default:
      return null;
  }
}
