/**
 * Which source may write which kind of evidence (formats: shared/domain/dingo-postgresql.md §3).
 * Part of the platform's syslog is written by tenants: whatever a tenant's PostgreSQL logs reaches
 * syslog after its container's prefix, line by line, so a tenant controls whole payload lines. A
 * line counts as evidence only when the syslog host and tag that wrote it (set by the syslog
 * daemon or, for Elasticsearch, by the document's own fields, never by the payload) are the ones
 * that write that kind of line:
 *
 * - broker lager records: tag `broker.stdout.log` / `broker.stderr.log`, lager source
 *   `patroni-broker` (March 2016) or `dingo-postgresql-broker`, and a host that is not a cell
 *   (BOSH names forwarded hosts `index.job.deployment`; hosts in other forms are let through, as
 *   forwarders and Logsearch name them differently, and the tag is what a container cannot write);
 * - confd's haproxy lines: tag `confd.stderr.log` / `confd.stdout.log`;
 * - cf-containers-broker's container creation: its own log's tag (`cf-containers-broker.log`); * - a container's lines (wal-e, public address, restore milestones, scope prefix): tag
 *   `docker/cf-<node>` or `cf-<node>`, and, when the line is about an instance, proof that the node
 *   serves it (container-claims.ts). The public address comes from the container's
 *   startup script only (no component, or `startup>`); the tenant's text comes after `patroni>`.
 *
 * Lines read without a syslog prefix take the tag of the file they come from (`broker.stdout.log`,
 * `broker.stdout.log.1.gz`...), so the broker's own log files can be searched as they are.
 */
import { basename } from 'node:path';
import { isGuid } from '../core/guid.js';
import type { LogEvent } from '../adapters/log-events.js';

/** `cut`: a container's tag rsyslog cut to 32 characters (`%syslogtag:1:32%`), whose node cannot be told. */
type WriterKind = 'broker' | 'confd' | 'ccb' | 'container' | 'cut' | 'other';

/** Who wrote a line, as its syslog host and tag say. */
export interface Writer {
  kind: WriterKind;
  /** The node of the container that wrote it (kind `container`). */
  node: string | null;
  /** How a warning names it: `container cf-<node>`, or `tag T on host H`. */
  name: string;
  /** The host is a cell's (BOSH `index.cell….deployment`). */
  cellHost: boolean;
}

const BROKER_SOURCES: ReadonlySet<string> = new Set(['patroni-broker', 'dingo-postgresql-broker']);
const BROKER_TAGS: ReadonlySet<string> = new Set(['broker.stdout.log', 'broker.stderr.log']);
const CONFD_TAGS: ReadonlySet<string> = new Set(['confd.stderr.log', 'confd.stdout.log']);
const CCB_TAG = 'cf-containers-broker.log';

/** The writer of a line from its syslog host and tag. */
export function writerOf(host: string, tag: string): Writer {
  const cellHost = /^\d+\.cell[^.]*\./.test(host);
  const name = tag.startsWith('docker/') ? tag.slice('docker/'.length) : tag;
  if (name.startsWith('cf-') && isGuid(name.slice(3)))
    return { kind: 'container', node: name.slice(3), name: `container ${name}`, cellHost };
  if (tag.length === 32 && /^docker\/cf-[0-9a-f-]+$/.test(tag))
    return { kind: 'cut', node: null, name: `tag ${tag} on host ${host}`, cellHost };
  const kind: WriterKind = BROKER_TAGS.has(tag) ? 'broker' : CONFD_TAGS.has(tag) ? 'confd' : tag === CCB_TAG ? 'ccb' : 'other';
  return { kind, node: null, name: `tag ${tag} on host ${host}`, cellHost };
}

/** The writer of a line read without a syslog prefix: the file it is in names it (rotations included). */
export function writerOfFile(source: string): Writer {
  if (source.startsWith('es:')) return { kind: 'other', node: null, name: `document ${source} without a program`, cellHost: false };
  const file = basename(source).replace(/(\.\d+)?(\.gz)?$/, '');
  const w = writerOf('-', file);
  return { ...w, name: `file ${basename(source)} (no syslog prefix)` };
}

/**
 * Whether the writer may write this kind of line at all; instance claims of a container's lines
 * are judged by judgeContainer.
 */
export function mayWrite(e: LogEvent, w: Writer): boolean {
  switch (e.kind) {
    case 'broker':
      return w.kind === 'broker' && !w.cellHost && BROKER_SOURCES.has(e.source);
    case 'haproxy':
      return w.kind === 'confd';
    case 'container-creating':
    case 'container-options':
      return w.kind === 'ccb';
    case 'public-address':
      return w.kind === 'container' && (e.component === null || e.component === 'startup');
    case 'etcd-lookup':
      return w.kind === 'container' && e.nodeUuid === w.node;
    case 'wale':
    case 'container':
      return w.kind === 'container';
    default:
      return false;
  }
}
