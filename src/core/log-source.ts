/**
 * The log sources' shared shapes: what a source is given (files or an Elasticsearch
 * cluster), the lines it hands back, and the report of what it read and skipped.
 */
import { UsageError } from './errors.js';
import type { Redactor } from './redact.js';

export interface FileHit {
  line: string;
  /** The file (or `-`) and the byte offset of the line in its (uncompressed) content. */
  source: string;
  offset: number;
  /** Modification time of the file: the reference for RFC 3164 lines, which have no year. */
  fileTime: Date;
  /** When the source itself says the line was logged (an Elasticsearch document's @timestamp). */
  loggedAt?: Date;
  /**
   * How many lines of the source this one stands for (1 when absent): a run of wal-e's lines of
   * one writer about one archive is handed on as its first line and its last, which stands for
   * itself and the lines between.
   */
  stands?: number;
}

/**
 * A literal a log scan looks for. With `onlyWith`, a line holding it counts only when it also
 * holds one of those words, as `grep -F TERM | grep -F -e WORD...` would pass it.
 */
export type ScanTerm = string | { term: string; onlyWith: readonly string[] };

/** A scan term as the report names it. */
export function termText(t: ScanTerm): string {
  return typeof t === 'string' ? t : t.term;
}

/**
 * Where Logsearch writes: logsearch-boshrelease's daily `logstash-*`, logsearch-for-cloudfoundry's
 * `logs-platform-*`, and its `logs-unparsed-*`, where its filters before 2017 sent every platform line
 * that was not a CF component's (the broker's, the cells' containers': logstash-filters default.conf.erb).
 */
export const LOGSEARCH_INDEX = 'logstash-*,logs-platform-*,logs-unparsed-*';
/**
 * Seconds each attempt of an Elasticsearch request may take to connect and to answer in full, unless
 * told: with its ES_ATTEMPTS, a stalled endpoint is given up in under two minutes in all (the
 * official clients give a request 30 s).
 */
export const DEFAULT_ES_TIMEOUT_SECONDS = 25;

/** How many times an Elasticsearch request is sent in all, the first one included. */
export const ES_ATTEMPTS = 4;

/** Documents a search reads at most, unless told: a scroll past it stops, naming the flag that raises it. */
export const DEFAULT_ES_MAX_DOCS = 1_000_000;

/** --es-max-docs (or ES_MAX_DOCS) as a count; undefined when not given. */
export function esMaxDocs(given: number | string | undefined): number | undefined {
  if (given === undefined || given === '') return undefined;
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`--es-max-docs ${JSON.stringify(String(given))} is not a number of documents`, {
      hint: `give how many documents a search may read at most, e.g. --es-max-docs 5000000 or ES_MAX_DOCS=5000000 (default ${DEFAULT_ES_MAX_DOCS})`,
    });
  return n;
}

/** --es-timeout (or ES_TIMEOUT) as seconds; undefined when not given. */
export function esTimeoutSeconds(given: number | string | undefined): number | undefined {
  if (given === undefined || given === '') return undefined;
  const seconds = Number(given);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--es-timeout ${JSON.stringify(String(given))} is not a number of seconds`, {
      hint: `give the seconds each attempt of an Elasticsearch request may take, e.g. --es-timeout 120 or ES_TIMEOUT=120 (default ${DEFAULT_ES_TIMEOUT_SECONDS})`,
    });
  return seconds;
}

export interface EsSourceSpec {
  url: string;
  /** Index pattern; LOGSEARCH_INDEX when absent. */
  index?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** PEM file of the CA that signed the cluster's certificate. */
  caFile?: string;
  /** Seconds each attempt of a request may take to connect and to answer in full (DEFAULT_ES_TIMEOUT_SECONDS when absent). */
  timeoutSeconds?: number;
  /** Documents a search reads at most (DEFAULT_ES_MAX_DOCS when absent). */
  maxDocs?: number;
  /** The run's redactor: the credentials are registered with it, the errors redacted. */
  redactor: Redactor;
}

export interface LogSourceSpec {
  /** Files or folders; `-` is standard input. Plain or gzip (detected by content). */
  paths?: string[];
  es?: EsSourceSpec;
}

/** What a scan of the logs looks for, and the time window it keeps to. */
export interface LogScan {
  /** Literals the bytes of files are scanned for. */
  terms: readonly ScanTerm[];
  /** Phrases pushed down to Elasticsearch, which has no byte scan. */
  phrases: readonly string[];
  /**
   * Phrases of the lines that describe an instance (its name, org and space), which Elasticsearch is
   * asked for beyond the window as well: the window bounds deletions only, as a file's lines are all
   * read once the file is.
   */
  describing?: readonly string[];
  since?: Date;
  until?: Date;
}

/**
 * The log seam: wherever the platform's lines are (syslog files, Elasticsearch, a test's own
 * lines), one scan hands back each line that holds a term, naming the source it came from
 * (`FileHit.source`), and counts what it read, searched for and skipped into the report.
 */
export interface LogSource {
  /** Nothing to read: no file, folder or cluster was given. */
  readonly empty: boolean;
  scan(scan: LogScan, report: SearchReport, onHit: (hit: FileHit) => void): Promise<void>;
  /** Give line numbers to what the scan skipped at a byte offset of a file (once the lines are judged). */
  numberSkipped(report: SearchReport): Promise<void>;
}

/** Opens the log source of what a run or a command was given (files, folders, a cluster). */
export type OpenLogSource = (spec: LogSourceSpec) => LogSource;

export type BadInputKind =
  | 'unreadable'
  | 'binary'
  | 'truncatedGzip'
  | 'longLine'
  | 'unknownFormat'
  | 'unparsedLine'
  /** A time the parsers cannot represent (out of Date's range, or an impossible calendar date). */
  | 'badDate'
  /** A folder reached again (a symlink loop, or a second link to a folder already searched). */
  | 'loop'
  /** A file already read under another name (a symlink or hard link to it). */
  | 'sameFile'
  /** A FIFO, socket or device: never opened (a FIFO blocks until something writes to it). */
  | 'notAFile';

/** One thing the search skipped, where it is, and why. */
export interface SkippedInput {
  /** The file or folder (`-` for standard input, `es:INDEX/ID`, `s3://BUCKET/KEY`). */
  path: string;
  /** 1-based line number in the file's (uncompressed) content, when it could be counted. */
  line?: number;
  /** Byte offset of the line in the file's (uncompressed) content. */
  offset?: number;
  kind: BadInputKind;
  why: string;
}

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
  /** Human-readable details of bad input (the first MAX_PROBLEMS entries of `skipped`). */
  problems: string[];
  /** What was skipped and why, the first MAX_SKIPPED of them; `skippedTotal` counts them all. */
  skipped: SkippedInput[];
  skippedTotal: number;
  esQueries: { index: string; query: unknown; pages: number; hits: number }[];
  /** Notes on how conclusions were drawn (year inference, time zones). */
  notes: string[];
  /** Lines that were not evidence because their source does not write them, counted per source. */
  warnings: string[];
}

export function emptyReport(terms: string[], since?: Date, until?: Date): SearchReport {
  return {
    files: [],
    skippedFiles: [],
    bytes: 0,
    matchedLines: 0,
    window: { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null },
    terms,
    badInput: {
      unreadable: 0,
      binary: 0,
      truncatedGzip: 0,
      longLine: 0,
      unknownFormat: 0,
      unparsedLine: 0,
      badDate: 0,
      loop: 0,
      sameFile: 0,
      notAFile: 0,
    },
    problems: [],
    skipped: [],
    skippedTotal: 0,
    esQueries: [],
    notes: [],
    warnings: [],
  };
}

export const MAX_PROBLEMS = 50;
export const MAX_SKIPPED = 200;

/** Where a skipped thing is: `FILE:LINE`, `FILE @ byte N` while its line is not counted, or the path. */
export function whereSkipped(s: Pick<SkippedInput, 'path' | 'line' | 'offset'>): string {
  if (s.line !== undefined) return `${s.path}:${s.line}`;
  if (s.offset !== undefined) return `${s.path} @ byte ${s.offset}`;
  return s.path;
}

function problemText(s: SkippedInput): string {
  return `${s.kind}: ${whereSkipped(s)}: ${s.why}`;
}

/**
 * Count something skipped (`count` lines of one kind at one place) and list it, up to
 * MAX_SKIPPED entries (and MAX_PROBLEMS readable lines).
 */
export function reportProblem(
  report: SearchReport,
  kind: BadInputKind,
  at: { path: string; offset?: number; line?: number },
  why: string,
  count = 1,
): void {
  report.badInput[kind] += count;
  report.skippedTotal += 1;
  const entry = skippedEntry(at.path, at.line, at.offset, kind, why);
  if (report.skipped.length < MAX_SKIPPED) report.skipped.push(entry);
  if (report.problems.length < MAX_PROBLEMS) report.problems.push(problemText(entry));
}

/** An entry with its fields in reading order, without the ones that are not known. */
export function skippedEntry(
  path: string,
  line: number | undefined,
  offset: number | undefined,
  kind: BadInputKind,
  why: string,
): SkippedInput {
  return { path, ...(line !== undefined ? { line } : {}), ...(offset !== undefined ? { offset } : {}), kind, why };
}

/** Rewrite the readable problems once line numbers are known. */
export function refreshProblems(report: SearchReport): void {
  report.problems = report.skipped.slice(0, MAX_PROBLEMS).map(problemText);
}
