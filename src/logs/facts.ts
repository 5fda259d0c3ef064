/**
 * Folds parsed lines into facts per instance and per node: deletions, names, spaces,
 * archive prefixes, WAL uploads, containers and their cells. Memory grows with the number
 * of instances and containers, never with the volume of logs: evidence is capped per kind.
 */
import { isValidDate } from '../adapters/log-dates.js';
import type { FileHit } from '../core/log-source.js';
import { isGuid, parsePayload, type BrokerEvent, type LogEvent } from '../adapters/log-payload.js';
import { clockOf, parseSyslog, readWithClock, zoneName, type SyslogClock, type SyslogLine } from '../adapters/syslog.js';
import { type Evidence } from './types.js';
import { reportProblem, type SearchReport } from '../core/log-source.js';

/** Phrases that identify the lines the finder needs (pushed down to Elasticsearch). */
export const PHRASES = [
  'remove-node.perform',
  'remove-random-node.perform',
  'deprovision.start',
  'provision.start',
  'provision.running.success',
  'update-recreation-data',
  'restore.done',
  'add-node.perform',
  'haproxy.cfg has been updated',
  'PATRONI_SCOPE',
  'public address',
  'public :5432 address',
  'looking up public host',
  'action=push-wal',
  'basebackups_005',
  'sysids/sysid',
];

/**
 * Literal terms for the byte scan of files when looking for a deleted instance: broker lines
 * (lager JSON), confd's haproxy reloads and wal-e uploads. Nodes and their cells then come
 * from the broker's own lines.
 * Fewer and broader than PHRASES because each term costs a pass over the data, and each
 * starts with a byte that is rare in syslog, so the search can skip ahead with memchr.
 */
export const SCAN_TERMS = ['{"timestamp"', 'Target', '/wal/'];
/** The new instance's facts also need container creation (PATRONI_SCOPE) and "public address" lines. */
export const INSTANCE_SCAN_TERMS = [...SCAN_TERMS, 'PATRON', 'public '];

const EVIDENCE_PER_KIND = 3;
/** Undated lines held per source while waiting for a dated one; past this they are read by the file's time. */
const MAX_HELD = 10_000;

/** Files each have their own clock; Elasticsearch documents without @timestamp share one. */
function clockKey(hit: FileHit): string {
  return hit.source.startsWith('es:') ? 'es:' : hit.source;
}

export interface Timed {
  time: number;
  evidence: Evidence;
  /** The node a removal removed. */
  node?: string;
}

export interface InstanceState {
  guid: string;
  /** Deletion signals: deprovision.start, remove-random-node.perform, old remove-node.perform. */
  deletions: Timed[];
  /** Replacements of one node by newer brokers (remove-node.perform); not a deletion. */
  nodeRemovals: Timed[];
  names: { name: string; time: number; how: string; evidence: Evidence }[];
  orgGuid: string | null;
  spaceGuid: string | null;
  provisionedAt: number | null;
  provisionEvidence: Evidence | null;
  archivePrefix: string | null;
  archiveEvidence: Evidence | null;
  lastWalUpload: number | null;
  lastWalEvidence: Evidence | null;
  baseBackups: number;
  walPushes: number;
  /** Nodes and the cell the broker gave for them (backend IP or cell id). */
  nodes: Map<string, string | null>;
  nodeEvidence: Evidence[];
  /** Time of the first container created for the instance (cf-containers-broker). */
  containerCreatedAt: number | null;
  generations: Set<string>;
}

export class FactCollector {
  readonly instances = new Map<string, InstanceState>();
  /** node uuid -> cell IP from the container's "public address" line. */
  readonly nodeCells = new Map<string, { ip: string; evidence: Evidence }>();
  /** node uuid -> cell VM name from the March 2016 etcd lookup line. */
  readonly nodeHosts = new Map<string, string>();
  /** node uuid -> instance GUID (PATRONI_SCOPE, or the archive its wal-e lines write to). */
  readonly nodeScopes = new Map<string, { guid: string; evidence: Evidence }>();
  /** Times (ms) of confd's "haproxy.cfg has been updated" lines, with the line. */
  readonly haproxyUpdates: Timed[] = [];
  yearInferred = false;
  unzonedSyslogTime = false;

  constructor(
    private readonly report: SearchReport,
    private readonly window: { since?: Date; until?: Date } = {},
  ) {}

  instance(guid: string): InstanceState {
    let s = this.instances.get(guid);
    if (!s) {
      s = {
        guid,
        deletions: [],
        nodeRemovals: [],
        names: [],
        orgGuid: null,
        spaceGuid: null,
        provisionedAt: null,
        provisionEvidence: null,
        archivePrefix: null,
        archiveEvidence: null,
        lastWalUpload: null,
        lastWalEvidence: null,
        baseBackups: 0,
        walPushes: 0,
        nodes: new Map(),
        nodeEvidence: [],
        containerCreatedAt: null,
        generations: new Set(),
      };
      this.instances.set(guid, s);
    }
    return s;
  }

  add(hit: FileHit): void {
    const sys = parseSyslog(hit.line, hit.fileTime);
    if (sys?.badTime !== undefined)
      return this.badDate(hit, `its syslog time "${sys.badTime}" is not a date (out of range, or a day or hour that does not exist)`);
    const payload = sys ? sys.payload : hit.line;
    const event = parsePayload(payload);
    if (!event) {
      if (!sys) reportProblem(this.report, 'unparsedLine', where(hit), 'neither syslog nor a known payload');
      return;
    }
    const own = ownTime(event);
    if (own && !isValidDate(own))
      return this.badDate(hit, `its ${TIME_OF[event.kind]} is not a date (out of range, or a day or hour that does not exist)`);
    if (!sys?.yearInferred || !sys.time) return this.foldHit(hit, sys, event, own ?? sys?.time ?? null, '');
    // The source recorded when it was logged (an Elasticsearch @timestamp): that time, per line.
    if (hit.loggedAt) return this.foldHit(hit, sys, event, own ?? hit.loggedAt, own ? '' : " (time from the document's @timestamp)");
    const key = clockKey(hit);
    if (own) {
      const clock = clockOf(sys.time, own);
      if (clock) {
        this.clocks.set(key, clock);
        const held = this.held.get(key);
        this.held.delete(key);
        for (const h of held ?? []) this.foldUndated(h.hit, h.sys, h.event, clock);
      }
      return this.foldHit(hit, sys, event, own, '');
    }
    const clock = this.clocks.get(key);
    if (clock) return this.foldUndated(hit, sys, event, clock);
    // No dated line in this source yet: hold the line until one shows the year and zone.
    const held = this.held.get(key) ?? [];
    if (held.length >= MAX_HELD) return this.foldByFileTime(hit, sys, event);
    held.push({ hit, sys, event });
    this.held.set(key, held);
  }

  /** Folds the lines of sources that never showed a dated line, with years from the file's time. */
  finish(): void {
    for (const held of this.held.values()) for (const h of held) this.foldByFileTime(h.hit, h.sys, h.event);
    this.held.clear();
  }

  private foldUndated(hit: FileHit, sys: SyslogLine, event: LogEvent, clock: SyslogClock): void {
    const time = readWithClock(sys.time!, clock);
    this.clockCorrected = true;
    const zone = clock.zoneMs === 0 ? '' : `, its syslog time read as ${zoneName(clock.zoneMs)}`;
    this.foldHit(hit, sys, event, time, ` (year ${time.getUTCFullYear()} from dated lines of the same file${zone})`);
  }

  private foldByFileTime(hit: FileHit, sys: SyslogLine, event: LogEvent): void {
    this.yearInferred = true;
    this.unzonedSyslogTime = true;
    this.foldHit(hit, sys, event, sys.time, sys.time ? ` (year ${sys.time.getUTCFullYear()} inferred from the file's time)` : '');
  }

  /** A line whose time cannot be read is not used: counted and listed with where it is. */
  private badDate(hit: FileHit, why: string): void {
    reportProblem(this.report, 'badDate', where(hit), `${why}; the line was not used`);
  }

  private foldHit(hit: FileHit, sys: SyslogLine | null, event: LogEvent, time: Date | null, yearNote: string): void {
    if (time && !isValidDate(time))
      return this.badDate(hit, "its time, read with the year and zone of the file's other lines, is out of range");
    const ms = time ? time.getTime() : null;
    // The window bounds deletions; names, nodes and archives read outside it still describe instances.
    const inWindow =
      ms === null ||
      ((!this.window.since || ms >= this.window.since.getTime()) && (!this.window.until || ms <= this.window.until.getTime()));
    this.current = hit;
    this.yearNote = yearNote;
    const node = sys && sys.tag.startsWith('docker/cf-') ? sys.tag.slice('docker/cf-'.length) : null;
    this.fold(event, ms ?? 0, node && isGuid(node) ? node : null, this.ev, inWindow);
  }

  /** Per source: the clock its dated lines showed, and undated lines held until one does. */
  private readonly clocks = new Map<string, SyslogClock>();
  private readonly held = new Map<string, { hit: FileHit; sys: SyslogLine; event: LogEvent }[]>();
  private clockCorrected = false;

  private current: FileHit = { line: '', source: '', offset: 0, fileTime: new Date(0) };
  private yearNote = '';
  /** Evidence from the line being folded. Lines are redacted once, when the result leaves the finder. */
  private readonly ev = (why: string): Evidence => {
    const hit = this.current;
    return {
      line: hit.line,
      source: hit.source.startsWith('es:') ? hit.source : `${hit.source} @ byte ${hit.offset}`,
      why: why + this.yearNote,
    };
  };

  private fold(e: LogEvent, ms: number, tagNode: string | null, ev: (why: string) => Evidence, inWindow: boolean): void {
    switch (e.kind) {
      case 'broker':
        return this.broker(e, ms, ev, inWindow);
      case 'haproxy':
        if (e.state === 'updated') this.haproxyUpdates.push({ time: ms, evidence: ev('confd rewrote haproxy.cfg (routing changed)') });
        return;
      case 'container-options': {
        if (!e.patroniScope) return;
        const s = this.instance(e.patroniScope);
        s.containerCreatedAt = s.containerCreatedAt === null ? ms : Math.min(s.containerCreatedAt, ms);
        if (e.nodeUuid) {
          this.addNode(
            s,
            e.nodeUuid,
            null,
            ev(`cf-containers-broker created container cf-${e.nodeUuid} with PATRONI_SCOPE=${e.patroniScope}`),
          );
          this.nodeScopes.set(e.nodeUuid, { guid: e.patroniScope, evidence: ev('container environment names its instance') });
        }
        return;
      }
      case 'public-address':
        if (tagNode) this.nodeCells.set(tagNode, { ip: e.ip, evidence: ev(`container cf-${tagNode} runs on cell ${e.ip}`) });
        return;
      case 'etcd-lookup':
        this.nodeHosts.set(e.nodeUuid, e.cellHost);
        return;
      case 'wale': {
        const s = this.instance(e.instanceGuid);
        if (!s.archivePrefix) {
          s.archivePrefix = e.archivePrefix;
          s.archiveEvidence = ev(`wal-e writes this instance's archive under ${e.archivePrefix}`);
        }
        if (tagNode && !this.nodeScopes.has(tagNode)) {
          this.nodeScopes.set(tagNode, { guid: e.instanceGuid, evidence: ev(`container cf-${tagNode} archives to ${e.archivePrefix}`) });
          this.addNode(s, tagNode, null, ev(`container cf-${tagNode} archives this instance's WAL`));
        }
        if (e.action === 'base-backup') s.baseBackups += 1;
        if (e.action === 'push-wal') {
          s.walPushes += 1;
          if (s.lastWalUpload === null || ms >= s.lastWalUpload) {
            s.lastWalUpload = ms;
            s.lastWalEvidence = ev('latest WAL upload seen for this instance');
          }
        }
        return;
      }
      default:
        return;
    }
  }

  private broker(e: BrokerEvent, ms: number, ev: (why: string) => Evidence, inWindow: boolean): void {
    const a = e.action;
    const d = e.data;
    const guid = str(d['instance-id']) ?? str(d.instance_id) ?? str(d.clusterID);
    if (a.endsWith('restore.done')) return this.restoreDone(e, ms, ev);
    if (a.endsWith('provision.running.success')) return this.oldProvision(e, ms, ev);
    if (!guid || !isGuid(guid)) return;
    const s = this.instance(guid);
    s.generations.add(e.source);
    const deletion =
      a.endsWith('deprovision.start') || a.endsWith('remove-random-node.perform') || (a.endsWith('remove-node.perform') && isOld(e));
    if (deletion && !inWindow) return;
    if (a.endsWith('deprovision.start')) {
      s.deletions.push({ time: ms, evidence: ev('the broker started deprovisioning this instance') });
    } else if (a.endsWith('remove-random-node.perform')) {
      s.deletions.push({
        time: ms,
        node: str(d['node-uuid']) ?? undefined,
        evidence: ev('the broker removed a node while deleting the cluster (remove-random-node)'),
      });
      this.brokerNode(s, d, ev);
    } else if (a.endsWith('remove-node.perform')) {
      // The March 2016 broker removes every node this way when deleting; later brokers only when replacing one.
      const old = isOld(e);
      const t = {
        time: ms,
        node: str(d['node-uuid']) ?? undefined,
        evidence: ev(
          old
            ? 'the broker removed a node (remove-node; the 2016 broker deletes clusters this way)'
            : 'the broker replaced a node (remove-node)',
        ),
      };
      (old ? s.deletions : s.nodeRemovals).push(t);
      this.brokerNode(s, d, ev);
    } else if (a.endsWith('add-node.perform')) {
      this.brokerNode(s, d, ev);
    } else if (a.endsWith('update-recreation-data.saved') && typeof d.name === 'string') {
      s.names.push({
        name: d.name,
        time: ms,
        how: 'update-recreation-data',
        evidence: ev(`the broker saved the service name "${d.name}" for this instance`),
      });
    } else if (a.endsWith('.provision.start') || a === 'provision.start') {
      if (s.provisionedAt === null || ms < s.provisionedAt) {
        s.provisionedAt = ms;
        s.provisionEvidence = ev('the broker started provisioning this instance');
      }
    }
  }

  private brokerNode(s: InstanceState, d: Record<string, unknown>, ev: (why: string) => Evidence): void {
    const node = str(d['node-uuid']);
    if (!node) return;
    const cell = str(d.backend) ?? str(d.cell) ?? null;
    this.addNode(s, node, cell, ev(`node ${node} of this instance${cell ? ` on cell ${cell}` : ''}`));
  }

  private addNode(s: InstanceState, node: string, cell: string | null, evidence: Evidence): void {
    const known = s.nodes.get(node);
    if (known === undefined || (known === null && cell)) s.nodes.set(node, cell);
    if (known === undefined && s.nodeEvidence.length < EVIDENCE_PER_KIND * 2) s.nodeEvidence.push(evidence);
  }

  private restoreDone(e: BrokerEvent, ms: number, ev: (why: string) => Evidence): void {
    const cd = (e.data.clusterData ?? e.data.cluster_data ?? e.data) as Record<string, unknown>;
    const guid = str(cd.instance_id);
    if (!guid || !isGuid(guid)) return;
    const s = this.instance(guid);
    s.generations.add(e.source);
    s.orgGuid = str(cd.organization_guid) ?? s.orgGuid;
    s.spaceGuid = str(cd.space_guid) ?? s.spaceGuid;
    const name = str(cd.service_instance_name);
    if (name)
      s.names.push({ name, time: ms, how: 'restore.done', evidence: ev(`the broker's recreation data names this instance "${name}"`) });
  }

  private oldProvision(e: BrokerEvent, ms: number, ev: (why: string) => Evidence): void {
    const c = (e.data.cluster ?? {}) as Record<string, unknown>;
    const guid = str(c.instance_id);
    if (!guid || !isGuid(guid)) return;
    const s = this.instance(guid);
    s.generations.add(e.source);
    s.orgGuid = str(c.organization_guid) ?? s.orgGuid;
    s.spaceGuid = str(c.space_guid) ?? s.spaceGuid;
    if (s.provisionedAt === null || ms < s.provisionedAt) {
      s.provisionedAt = ms;
      s.provisionEvidence = ev('the broker provisioned this instance in this space');
    }
  }

  /** Notes on how times were read, for the report. */
  notes(): string[] {
    const out: string[] = [];
    if (this.clockCorrected)
      out.push(
        'RFC 3164 lines carry no year or zone: where a file held dated lines (lager, wal-e, confd), its other lines were read with their year and zone',
      );
    if (this.yearInferred)
      out.push("RFC 3164 lines carry no year: where a file held no dated line, it was inferred from the file's modification time");
    if (this.unzonedSyslogTime) out.push('RFC 3164 times carry no time zone: lines of files without dated lines were read as UTC');
    return out;
  }
}

/** The March 2016 broker, which deleted clusters node by node with remove-node. */
function isOld(e: BrokerEvent): boolean {
  return e.source === 'patroni-broker' || e.action.startsWith('cluster.');
}

/** Where a line is, for the report of what was skipped. */
function where(hit: FileHit): { path: string; offset?: number } {
  return hit.source.startsWith('es:') ? { path: hit.source } : { path: hit.source, offset: hit.offset };
}

const TIME_OF: Record<LogEvent['kind'], string> = {
  broker: 'broker (lager) timestamp',
  haproxy: 'confd time',
  wale: 'wal-e time',
  'container-creating': 'time',
  'container-options': 'time',
  'public-address': 'time',
  'etcd-lookup': 'time',
  container: 'time',
};

function ownTime(e: LogEvent): Date | null {
  if (e.kind === 'broker' || e.kind === 'haproxy' || e.kind === 'wale') return e.time;
  return null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
