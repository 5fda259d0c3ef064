/**
 * The journal is the truth about a run: an append-only NDJSON file, one event per
 * line, fsynced as it is written, every text redacted first. The run's state is
 * derived by replaying it.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { UsageError } from './errors.js';
import type { Redactor } from './redact.js';
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
    }
  | { type: 'evidence'; step: string; facts: Record<string, string> }
  | { type: 'confirm'; step: string; method: 'typed' | '--yes' | 'answers'; typed?: string; expected: string; evidence: Record<string, string> }
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

export function operatorName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

export class Journal {
  private fd: number | null = null;
  private seq: number;
  private readonly all: JournalEvent[];

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

  append(body: EventBody): JournalEvent {
    const event = { v: JOURNAL_VERSION, seq: ++this.seq, at: new Date().toISOString(), by: operatorName(), pid: process.pid, ...body };
    const json = this.redactor.redact(JSON.stringify(event));
    const line = json + '\n';
    this.all.push(JSON.parse(json) as JournalEvent);
    if (this.fd === null) this.fd = openSync(this.file, 'a', 0o600);
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    failpoint(`journal:${this.seq}`);
    return this.all[this.all.length - 1]!;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads a journal. A torn last line (the process died mid-write) is ignored; any other damage is an error. */
export function readJournal(file: string): JournalEvent[] {
  if (!existsSync(file)) throw new UsageError(`no journal at ${file}`, { hint: 'list runs with `dingo-recover runs`' });
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line) as JournalEvent;
      if (event.v > JOURNAL_VERSION) {
        throw new UsageError(`${file}:${i + 1}: journal version ${event.v} is newer than this dingo-recover understands (${JOURNAL_VERSION})`, {
          hint: 'upgrade dingo-recover to resume or show this run',
        });
      }
      events.push(event);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast && !text.endsWith('\n')) break; // torn write at the end: the event never happened
      throw new UsageError(`${file}:${i + 1}: damaged journal line`, {
        hint: 'the journal is append-only; restore it from a copy or inspect it by hand, never edit earlier lines',
      });
    }
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
