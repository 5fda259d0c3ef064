/** Shared shapes of the log finder: sources, evidence, candidates and the search report. */
import type { Redactor } from '../core/redact.js';
import type { ObjectStore } from '../core/seams.js';
import type { LogSource, SearchReport } from '../core/log-source.js';

/** One line that supports a conclusion, and why it does. */
export interface Evidence {
  line: string;
  source: string;
  why: string;
}

export interface NodeFact {
  nodeUuid: string;
  /** Cell address (public address IP, broker backend) or cell id, whichever the logs gave. */
  cell: string | null;
}

/** What the logs say of a cluster's size (logs/instance-state.ts clusterSize). */
export interface ClusterSize {
  /** Nodes of the instance the logs name. */
  seen: number;
  /** The size the broker last recorded for it, with the line. */
  recorded: { nodes: number; evidence: Evidence } | null;
  /** Nodes its deletion removed, each named by the broker's line. */
  removedAtDeletion: number;
}

export type Confidence = 'high' | 'medium' | 'low';

/** What the logs say of an instance's archive and cluster: the archive its wal-e lines name, its uploads, its nodes, its size. */
interface InstanceTrail {
  /** The archive its wal-e lines name, when they name one. */
  archivePrefix: string | null;
  /** Every archive its wal-e lines name: more than one is the operator's to decide (--wal-bucket). */
  archivePrefixes: string[];
  /** The latest WAL upload wal-e said it completed ("Archiving to … complete", state=complete). */
  lastWalUploadAt: string | null;
  /** The latest WAL upload wal-e began or completed: its PostgreSQL ran then. */
  lastWalPushAt: string | null;
  nodes: NodeFact[];
  size: ClusterSize;
}

export interface Candidate extends InstanceTrail {
  instanceGuid: string;
  serviceName: string | null;
  /** What proves the name: the broker's clusterdata record, a name line in the logs, the CC's audit events, or nothing. */
  nameFrom: 'clusterdata' | 'logs' | 'audit-events' | null;
  /** The space the instance was provisioned in, when a record or a provision request says. */
  spaceGuid: string | null;
  orgGuid: string | null;
  /** Which trusted source gives the space (the clusterdata record, a broker record in the logs, the CC's audit events), or null. */
  spaceFrom: string | null;
  /** A trusted source puts it in the space the search was given (never true when none was given). */
  inGivenSpace: boolean;
  createdAt: string | null;
  deletedAt: string | null;
  confidence: Confidence;
  evidence: Evidence[];
}

/** A deleted instance of the name left out of the candidates, and why. */
export interface LeftOut {
  instanceGuid: string;
  serviceName: string | null;
  why: string;
}

export interface FindResult {
  candidates: Candidate[];
  /** Deleted instances of the name that a trusted source puts in another org or space. */
  otherSpace: LeftOut[];
  searched: SearchReport;
}

export interface InstanceFacts extends InstanceTrail {
  instanceGuid: string;
  createdAt: string | null;
  evidence: Evidence[];
  searched: SearchReport;
}

export interface ClusterdataSpec {
  store: ObjectStore;
  bucket: string;
  prefix?: string;
}

export interface FindDeletedQuery {
  sources: LogSource;
  serviceName: string;
  org?: string;
  space?: string;
  spaceGuid?: string;
  since?: Date;
  until?: Date;
  clusterdata?: ClusterdataSpec;
  /** The run's redactor: the secrets of the records read are registered with it, and the result redacted. */
  redactor: Redactor;
}

export interface FindInstanceQuery {
  sources: LogSource;
  instanceGuid: string;
  since?: Date;
  until?: Date;
  /** The run's redactor, the result is redacted with. */
  redactor: Redactor;
}
