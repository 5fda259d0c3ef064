/** Shared shapes of the log finder: sources, evidence, candidates and the search report. */
import type { Client } from '@elastic/elasticsearch';
import type { ObjectStore } from '../systems/types.js';

export interface EsSourceSpec {
  url: string;
  /** Index pattern; `logs-*` when absent. */
  index?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** PEM file of the CA that signed the cluster's certificate. */
  caFile?: string;
  /** A ready client (tests pass one wired to a mock connection). */
  client?: Client;
}

export interface LogSourceSpec {
  /** Files or folders; `-` is standard input. Plain or gzip (detected by content). */
  paths?: string[];
  es?: EsSourceSpec;
}

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

export type BadInputKind =
  | 'unreadable'
  | 'binary'
  | 'truncatedGzip'
  | 'longLine'
  | 'unknownFormat'
  | 'unparsedLine';

export interface SearchReport {
  /** Every file read: bytes read (uncompressed) and lines that contained a term. */
  files: { path: string; bytes: number; matchedLines: number; gzip: boolean; note?: string }[];
  /** Files in searched folders that were not log files, listed rather than silently ignored. */
  skippedFiles: string[];
  bytes: number;
  /** Lines that contained a search term and were parsed. */
  matchedLines: number;
  window: { since: string | null; until: string | null };
  terms: string[];
  badInput: Record<BadInputKind, number>;
  /** Human-readable details of bad input (first few per kind). */
  problems: string[];
  esQueries: { index: string; query: unknown; pages: number; hits: number }[];
  /** Notes on how conclusions were drawn (year inference, time zones). */
  notes: string[];
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
  sources: LogSourceSpec;
  serviceName: string;
  org?: string;
  space?: string;
  spaceGuid?: string;
  since?: Date;
  until?: Date;
  clusterdata?: ClusterdataSpec;
}

export interface FindInstanceQuery {
  sources: LogSourceSpec;
  instanceGuid: string;
  since?: Date;
  until?: Date;
}

export function emptyReport(terms: string[], since?: Date, until?: Date): SearchReport {
  return {
    files: [],
    skippedFiles: [],
    bytes: 0,
    matchedLines: 0,
    window: { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null },
    terms,
    badInput: { unreadable: 0, binary: 0, truncatedGzip: 0, longLine: 0, unknownFormat: 0, unparsedLine: 0 },
    problems: [],
    esQueries: [],
    notes: [],
  };
}

const MAX_PROBLEMS_PER_REPORT = 50;

export function reportProblem(report: SearchReport, kind: BadInputKind, detail: string, count = 1): void {
  report.badInput[kind] += count;
  if (report.problems.length < MAX_PROBLEMS_PER_REPORT) report.problems.push(`${kind}: ${detail}`);
}
