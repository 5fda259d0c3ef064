/**
 * Facts per instance and per node, folded from events whose time is already read: deletions,
 * names, spaces, archive prefixes, WAL uploads, containers and their cells (see facts.ts for how
 * lines become events with times).
 */
import type { LogEvent, WaleEvent } from '../adapters/log-events.js';
import { foldBroker } from './broker-facts.js';
import { addNode, newInstanceState, type EvidenceOf, type InstanceState, type Timed } from './instance-state.js';
import type { Evidence } from './types.js';

export class EventFacts {
  readonly instances = new Map<string, InstanceState>();
  /** node uuid -> cell IP from the container's "public address" line. */
  readonly nodeCells = new Map<string, { ip: string; evidence: Evidence }>();
  /** node uuid -> cell VM name from the March 2016 etcd lookup line. */
  readonly nodeHosts = new Map<string, string>();
  /** node uuid -> instance GUID (PATRONI_SCOPE, or the archive its wal-e lines write to). */
  readonly nodeScopes = new Map<string, { guid: string; evidence: Evidence }>();
  /** node uuid -> the first six characters of PATRONI_SCOPE its container puts before its lines. */
  readonly nodeScope6 = new Map<string, { scope6: string; evidence: Evidence }>();
  /** Times (ms) of confd's "haproxy.cfg has been updated" lines, with the line. */
  readonly haproxyUpdates: Timed[] = [];

  /** The state of an instance, created on first mention; `ms`, when the line has a time, dates its first mention. */
  instance(guid: string, ms = 0): InstanceState {
    let s = this.instances.get(guid);
    if (!s) {
      s = newInstanceState(guid);
      this.instances.set(guid, s);
    }
    if (ms > 0 && (s.firstSeen === null || ms < s.firstSeen)) s.firstSeen = ms;
    return s;
  }

  /** Folds one event read at `ms`; `tagNode` is the node whose container logged the line, if any. */
  protected fold(e: LogEvent, ms: number, tagNode: string | null, ev: EvidenceOf, inWindow: boolean): void {
    switch (e.kind) {
      case 'broker':
        foldBroker(e, ms, ev, inWindow, (guid) => this.instance(guid, ms));
        return;
      case 'haproxy':
        if (e.state === 'updated') this.haproxyUpdates.push({ time: ms, evidence: ev('confd rewrote haproxy.cfg (routing changed)') });
        return;
      case 'container-options': {
        if (!e.patroniScope) return;
        const s = this.instance(e.patroniScope, ms);
        s.containerCreatedAt = s.containerCreatedAt === null ? ms : Math.min(s.containerCreatedAt, ms);
        if (e.nodeUuid) {
          addNode(s, e.nodeUuid, null, ev(`cf-containers-broker created container cf-${e.nodeUuid} with PATRONI_SCOPE=${e.patroniScope}`));
          this.nodeScopes.set(e.nodeUuid, { guid: e.patroniScope, evidence: ev('container environment names its instance') });
        }
        return;
      }
      case 'public-address':
        if (!tagNode) return;
        this.nodeCells.set(tagNode, { ip: e.ip, evidence: ev(`container cf-${tagNode} runs on cell ${e.ip}`) });
        this.scope6Of(tagNode, e.scope6, ev);
        return;
      case 'container':
        if (tagNode) this.scope6Of(tagNode, e.scope6, ev);
        return;
      case 'etcd-lookup':
        this.nodeHosts.set(e.nodeUuid, e.cellHost);
        return;
      case 'wale':
        this.wale(e, ms, tagNode, ev);
        return;
      default:
        return;
    }
  }

  private scope6Of(node: string, scope6: string | null, ev: EvidenceOf): void {
    if (scope6 && !this.nodeScope6.has(node))
      this.nodeScope6.set(node, {
        scope6,
        evidence: ev(`container cf-${node} puts ${scope6}-, the start of its PATRONI_SCOPE, before its lines`),
      });
  }

  /** wal-e names the instance's archive; its uploads date the last WAL. */
  private wale(e: WaleEvent, ms: number, tagNode: string | null, ev: EvidenceOf): void {
    const s = this.instance(e.instanceGuid, ms);
    if (!s.archives.has(e.archivePrefix))
      s.archives.set(e.archivePrefix, ev(`wal-e writes this instance's archive under ${e.archivePrefix}`));
    if (tagNode && !this.nodeScopes.has(tagNode)) {
      this.nodeScopes.set(tagNode, { guid: e.instanceGuid, evidence: ev(`container cf-${tagNode} archives to ${e.archivePrefix}`) });
      addNode(s, tagNode, null, ev(`container cf-${tagNode} archives this instance's WAL`));
    }
    if (e.action === 'base-backup') s.baseBackups += 1;
    if (e.action === 'push-wal') {
      s.walPushes += 1;
      if (s.lastWalPush === null || ms >= s.lastWalPush) {
        s.lastWalPush = ms;
        s.lastWalPushEvidence = ev('latest WAL push seen for this instance (wal-e ran, so did its PostgreSQL)');
      }
      // wal-e's "begin" line (`Uploading "pg_xlog/…"`) is an attempt; only "complete" says the segment is stored.
      if (e.state === 'complete' && (s.lastWalUpload === null || ms >= s.lastWalUpload)) {
        s.lastWalUpload = ms;
        s.lastWalEvidence = ev('latest WAL upload wal-e completed for this instance');
      }
    }
  }
}
