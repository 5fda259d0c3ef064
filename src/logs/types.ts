/** Shared shapes of the log finder: sources, evidence, candidates and the search report. */
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

export type Confidence = 'high' | 'medium' | 'low';

export interface Candidate {
  instanceGuid: string;
  serviceName: string | null;
  /** What proves the name: the broker's clusterdata record, a name line in the logs, or nothing. */
  nameFrom: 'clusterdata' | 'logs' | null;
  /** The space the instance was provisioned in, when a record or a provision request says. */
  spaceGuid: string | null;
  deletedAt: string | null;
  archivePrefix: string | null;
  lastWalUploadAt: string | null;
  nodes: NodeFact[];
  confidence: Confidence;
  evidence: Evidence[];
}

export interface FindResult {
  candidates: Candidate[];
  searched: SearchReport;
}

export interface InstanceFacts {
  instanceGuid: string;
  archivePrefix: string | null;
  lastWalUploadAt: string | null;
  nodes: NodeFact[];
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
}

export interface FindInstanceQuery {
  sources: LogSource;
  instanceGuid: string;
  since?: Date;
  until?: Date;
}
