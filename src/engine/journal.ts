/**
 * The journal is the truth about a run: an append-only NDJSON file, one event per
 * line, fsynced as it is written, every text redacted first. The run's state is
 * derived by replaying it.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { StepFailed, UsageError } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';
import { failpoint } from './failpoints.js';

export const JOURNAL_VERSION = 1;

export type EventBody =
  | {
      type: 'run.created';
      runId: string;
      runbook: { file: string; name: string; sha256: string };
      mode: 'live' | 'rehearsal';
      scenario?: string;
      options: Record<string, unknown>;
    }
  | { type: 'run.resumed' }
  | { type: 'input'; name: string; value: unknown; source: 'prompt' | 'answers' | 'default' }
  | { type: 'step.started'; step: string; params: Record<string, unknown>; plan: Record<string, unknown> }
  | { type: 'step.probed'; step: string; result: 'done' | 'not-done' | 'unknown'; why: string }
  | {
      type: 'command';
      step?: string;
      system: string;
      where: string;
      argv: string[];
      writes: boolean;
      exitCode: number;
      durationMs: number;
      output: string;
      /** The command was sent but its answer was lost (exitCode -1): it may have taken effect. */
      lost?: boolean;
    }
  | { type: 'evidence'; step: string; facts: Record<string, string> }
  | {
      type: 'confirm';
      step: string;
      method: 'typed' | '--yes' | 'answers';
      typed?: string;
      expected: string;
      evidence: Record<string, string>;
    }
  | { type: 'note'; step?: string; text: string }
  | { type: 'step.finished'; step: string; outputs: Record<string, unknown>; durationMs: number }
  | { type: 'step.skipped'; step: string; reason: string }
  | { type: 'step.failed'; step: string; error: string; hint?: string }
  | { type: 'run.interrupted'; signal: string }
  /** A torn last line (crash or disk full mid-append) was moved to `keptAt` and the journal cut back to its last whole event. */
  | { type: 'journal.repaired'; keptAt: string; tornBytes: number; truncatedTo: number }
  /** The run's lock was taken over: from a dead process on this host ('stale') or by --steal-lock ('steal'). */
  | { type: 'lock.taken'; how: 'stale' | 'steal'; previous: { host: string; pid: number; by: string; startedAt: string } | null }
  /** A resume was given a connection setting that differs from the journaled one. */
  | { type: 'settings.changed'; changes: Record<string, { from: unknown; to: unknown }> }
  /** Ambient state (cf target, routes) re-established and verified on resume. */
  | { type: 'ambient.reasserted'; step: string; summary: string }
  /** The run was ended on the record without finishing. */
  | { type: 'run.abandoned'; reason: string }
  | { type: 'run.finished' };

export type JournalEvent = EventBody & {
  v: number;
  seq: number;
  at: string;
  /** Who wrote the event: user@host, and the process. */
  by: string;
  pid: number;
};

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export function operatorName(): string {
  return `${userName()}@${hostname()}`;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOENT: 'it does not exist',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it exists and is not a folder',
};

/** The deepest existing part of a path, and whether it is a folder. */
function deepestExisting(path: string): { path: string; folder: boolean } {
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      return { path: p, folder: statSync(p).isDirectory() };
    } catch {
      // not there (or not reachable): look further up
    }
    if (dirname(p) === p) return { path: p, folder: true };
  }
}

/** An operating-system error on a run's file or folder as a UsageError that names the path and says what to do. */
export function fsUsageError(err: unknown, doing: string, path: string): UsageError {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const reason = REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  let hint: string;
  switch (code) {
    case 'EACCES':
    case 'EPERM': {
      const at = deepestExisting(path).path;
      hint = `user ${userName()} lacks permission on ${at} or its folder: run dingo-recover as the user who owns them (ls -ld ${dirname(at)} ${at}), or give another --state-dir`;
      break;
    }
    case 'EROFS':
      hint = 'give a --state-dir on a writable file system';
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      hint = `free space on the file system that holds ${path} (df -h ${dirname(path)}), then try again`;
      break;
    case 'ENOTDIR':
    case 'EEXIST': {
      const inTheWay = deepestExisting(path);
      hint = `${inTheWay.folder ? path : inTheWay.path} is a file where a folder belongs: give --state-dir a folder (it is created when missing), or move that file away`;
      break;
    }
    case 'EISDIR':
      hint = `${path} is a folder where a file belongs: move it away (it is not something dingo-recover wrote), then try again`;
      break;
    case 'ENOENT':
      hint = `check --state-dir and that ${dirname(path)} was not moved or deleted (list runs with \`dingo-recover runs\`)`;
      break;
    default:
      hint = `check ${path} and its folder (ls -la ${dirname(path)})`;
  }
  return new UsageError(`cannot ${doing} ${path}: ${reason}`, { hint, cause: err });
}

const NEWLINE = 0x0a;

/** The event a line holds, or null when it is not a whole event (a torn write, garbage). */
function parseEvent(line: string): JournalEvent | null {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return value as JournalEvent;
  } catch {
    return null;
  }
}

/** Where a file's last line starts, and whether that line (which has no newline) is a whole event. */
function tailOf(bytes: Buffer): { start: number; whole: boolean } {
  const start = bytes.lastIndexOf(NEWLINE) + 1;
  if (start === bytes.length) return { start, whole: true };
  const text = bytes.subarray(start).toString('utf8');
  return { start, whole: parseEvent(text) !== null };
}

function utcStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '');
}

function fsyncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every file system syncs a folder; the file itself is synced
  }
}

export interface Repair {
  /** The file the torn bytes were moved to, next to the journal. */
  keptAt: string;
  tornBytes: number;
  /** The journal's length after the cut, in bytes. */
  truncatedTo: number;
}

/**
 * Readies a journal file for appending: a torn last line (its writer died, or the disk filled, mid-write)
 * is moved to `<journal>.torn-<UTC stamp>` (kept, never deleted) and the journal cut back to its last whole
 * event; a whole last event without its newline gets the newline. Returns what was repaired, if anything.
 */
function readyForAppend(file: string, fd: number): Repair | null {
  const size = fstatSync(fd).size;
  if (size === 0) return null;
  const bytes = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, bytes, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  const { start, whole } = tailOf(bytes.subarray(0, got));
  if (start === got) return null;
  if (whole) {
    writeAll(fd, Buffer.from('\n'));
    fsyncSync(fd);
    return null;
  }
  const torn = bytes.subarray(start, got);
  const base = `${file}.torn-${utcStamp()}`;
  let keptAt = base;
  let kept: number | null = null;
  for (let n = 1; kept === null; n++) {
    try {
      kept = openSync(keptAt, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw err;
      keptAt = `${base}-${n}`;
    }
  }
  try {
    writeAll(kept, torn);
    fsyncSync(kept);
  } finally {
    closeSync(kept);
  }
  fsyncFolder(dirname(file));
  ftruncateSync(fd, start);
  fsyncSync(fd);
  return { keptAt, tornBytes: torn.length, truncatedTo: start };
}

function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

export class Journal {
  private fd: number | null = null;
  private seq: number;
  private readonly all: JournalEvent[];
  /** The file's length in bytes up to its last whole event, once open. */
  private size = 0;
  /** Where a failed write began, until its bytes are cut off: nothing is appended after them. */
  private tornAt: number | null = null;

  constructor(
    readonly file: string,
    private readonly redactor: Redactor,
    existing: JournalEvent[] = [],
  ) {
    this.all = [...existing];
    this.seq = existing.length ? existing[existing.length - 1]!.seq : 0;
  }

  /** Every event of the run so far, as written (redacted). */
  events(): JournalEvent[] {
    return this.all;
  }

  /**
   * Opens the file for appending, repairing a torn last line first (journaled as `journal.repaired`).
   * Appending opens it too; call this to repair before anything else happens.
   */
  open(): Repair | null {
    if (this.fd !== null) return null;
    let fd: number;
    try {
      fd = openSync(this.file, 'a+', 0o600);
    } catch (err) {
      throw fsUsageError(err, 'open the journal', this.file);
    }
    let repair: Repair | null;
    try {
      repair = readyForAppend(this.file, fd);
      this.size = fstatSync(fd).size;
    } catch (err) {
      closeSync(fd);
      throw fsUsageError(err, 'repair the torn last line of the journal', this.file);
    }
    this.fd = fd;
    this.tornAt = null; // any bytes of an earlier failed write were just repaired
    if (repair) this.append({ type: 'journal.repaired', ...repair });
    return repair;
  }

  append(body: EventBody): JournalEvent {
    this.open();
    const fd = this.fd!;
    if (this.tornAt !== null) {
      try {
        this.cutBack(fd);
      } catch (err) {
        throw this.writeFailed(err);
      }
    }
    const event = { v: JOURNAL_VERSION, seq: this.seq + 1, at: new Date().toISOString(), by: operatorName(), pid: process.pid, ...body };
    const json = this.redactor.redact(JSON.stringify(event));
    const line = Buffer.from(json + '\n');
    try {
      writeAll(fd, line);
      fsyncSync(fd);
    } catch (err) {
      this.tornAt = this.size;
      try {
        this.cutBack(fd);
      } catch {
        // cut back before the next append, or repaired when the run is resumed
      }
      throw this.writeFailed(err);
    }
    this.size += line.length;
    this.seq++;
    this.all.push(JSON.parse(json) as JournalEvent);
    failpoint(`journal:${this.seq}`);
    return this.all[this.all.length - 1]!;
  }

  private writeFailed(err: unknown): StepFailed {
    const reason = REASONS[(err as NodeJS.ErrnoException)?.code ?? ''] ?? (err instanceof Error ? err.message : String(err));
    return new StepFailed(`could not write the journal ${this.file}: ${reason}`, {
      hint: `free space on the file system that holds it (df -h ${dirname(this.file)}) or fix what the error names, then resume; the journal is whole up to its last event`,
      cause: err,
    });
  }

  /** Cuts off the bytes of a failed write, so the next event starts on a line of its own. */
  private cutBack(fd: number): void {
    ftruncateSync(fd, this.tornAt!);
    fsyncSync(fd);
    this.tornAt = null;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Opens a run's journal to append to it (resume, abandon): reads its events, refusing damage before the
 * last line, then repairs a torn last line (see Journal.open), which the journal records as `journal.repaired`.
 */
export function openJournalForAppend(file: string, redactor: Redactor): Journal {
  const journal = new Journal(file, redactor, readJournal(file));
  journal.open();
  return journal;
}

/**
 * Reads a journal without changing it. A torn last line (the process died mid-write) is ignored; any
 * other damage is an error naming FILE:LINE.
 */
export function readJournal(file: string): JournalEvent[] {
  if (!existsSync(file)) throw new UsageError(`no journal at ${file}`, { hint: 'list runs with `dingo-recover runs`' });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fsUsageError(err, 'read the journal', file);
  }
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const event = parseEvent(line);
    if (event === null) {
      if (i === lines.length - 1) break; // torn write at the end (no newline follows it): the event never happened
      throw new UsageError(`${file}:${i + 1}: damaged journal line`, {
        hint: 'the journal is append-only; restore it from a copy or inspect it by hand, never edit earlier lines',
      });
    }
    if (event.v > JOURNAL_VERSION) {
      throw new UsageError(
        `${file}:${i + 1}: journal version ${event.v} is newer than this dingo-recover understands (${JOURNAL_VERSION})`,
        {
          hint: 'upgrade dingo-recover to resume or show this run',
        },
      );
    }
    events.push(event);
  }
  return events;
}

export type StepStatus = 'pending' | 'started' | 'finished' | 'failed' | 'skipped';

export interface StepState {
  status: StepStatus;
  params?: Record<string, unknown>;
  plan?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string;
  confirmed?: Extract<EventBody, { type: 'confirm' }>;
  evidence?: Record<string, string>;
  attempts: number;
}

export interface RunState {
  runId: string;
  created: Extract<JournalEvent, { type: 'run.created' }>;
  inputs: Record<string, unknown>;
  steps: Map<string, StepState>;
  finished: boolean;
  interrupted: boolean;
  /** Why the run was abandoned, when it was. */
  abandoned: string | null;
  lastEventAt: string;
}

/** Derives a run's state from its events. */
export function replay(events: JournalEvent[]): RunState {
  const created = events.find((e) => e.type === 'run.created') as RunState['created'] | undefined;
  if (!created) throw new UsageError('journal has no run.created event', { hint: 'this is not a dingo-recover run folder' });
  const state: RunState = {
    runId: created.runId,
    created,
    inputs: {},
    steps: new Map(),
    finished: false,
    interrupted: false,
    abandoned: null,
    lastEventAt: created.at,
  };
  const step = (id: string): StepState => {
    let s = state.steps.get(id);
    if (!s) state.steps.set(id, (s = { status: 'pending', attempts: 0 }));
    return s;
  };
  for (const e of events) {
    state.lastEventAt = e.at;
    switch (e.type) {
      case 'input':
        state.inputs[e.name] = e.value;
        break;
      case 'step.started': {
        const s = step(e.step);
        s.status = 'started';
        s.params = e.params;
        s.plan = e.plan;
        s.attempts++;
        s.error = undefined;
        break;
      }
      case 'step.finished': {
        const s = step(e.step);
        s.status = 'finished';
        s.outputs = e.outputs;
        break;
      }
      case 'step.failed': {
        const s = step(e.step);
        s.status = 'failed';
        s.error = e.error;
        break;
      }
      case 'step.skipped':
        step(e.step).status = 'skipped';
        break;
      case 'confirm':
        step(e.step).confirmed = e;
        break;
      case 'evidence':
        step(e.step).evidence = e.facts;
        break;
      case 'run.interrupted':
        state.interrupted = true;
        break;
      case 'run.resumed':
        state.interrupted = false;
        break;
      case 'run.abandoned':
        state.abandoned = e.reason;
        break;
      case 'run.finished':
        state.finished = true;
        break;
      default:
        break;
    }
  }
  return state;
}
