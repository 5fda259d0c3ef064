/**
 * The events a run's journal holds, one a line: what the run was, every input, step, command,
 * confirmation and note, and what happened to the run itself. Each is stamped with its version,
 * sequence number, time and writer.
 */
import { isRecord } from '../../core/json.js';

export const JOURNAL_VERSION = 1;

export type EventBody =
  | {
      type: 'run.created';
      runId: string;
      /** `steps`: its steps as the run started with them (absent from older journals). */
      runbook: { file: string; name: string; sha256: string; steps?: { id: string; action: string }[] };
      mode: 'live' | 'rehearsal';
      scenario?: string;
      options: Record<string, unknown>;
      /** The person driving it (--operator, else SUDO_USER, else the login); absent from older journals. */
      operator?: string;
    }
  /** `tool`: the program and version that resumed it; `operator`: the person driving this resume (both absent from older journals). */
  | { type: 'run.resumed'; tool?: string; operator?: string }
  /** An answer; `was` is the answer it corrects (on a resume: --set, the answers file, or asked again at a terminal). */
  | { type: 'input'; name: string; value: unknown; source: 'prompt' | 'answers' | 'default' | 'set'; was?: unknown }
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
      /** 'plan': a for-each item's step, covered by the confirmation of the step `coveredBy` (forEach.confirmedBy). */
      method: 'typed' | '--yes' | 'answers' | 'plan';
      coveredBy?: string;
      typed?: string;
      expected: string;
      evidence: Record<string, string>;
    }
  | { type: 'note'; step?: string; text: string }
  /** A choice the step's action asked (`choose:`), decided: the value, and by whom (the answers file, a flag, the operator at the prompt). */
  | { type: 'choice'; step: string; key: string; value: string; by: string }
  /** `warnings`: the step did all it could but could not do all its work, each saying why (absent: it did). */
  | { type: 'step.finished'; step: string; outputs: Record<string, unknown>; durationMs: number; warnings?: string[] }
  | { type: 'step.skipped'; step: string; reason: string }
  | { type: 'step.failed'; step: string; error: string; hint?: string }
  /** A signal, a closed output, or (`atQuestion`) the operator's Ctrl-C at a prompt ended the run. */
  | { type: 'run.interrupted'; signal: string; atQuestion?: boolean }
  /**
   * The run stopped with `exitCode` (3: it waits for the operator, an answer, a choice or a
   * confirmation with no terminal to ask on; any other: a failure); `error` says why.
   */
  | { type: 'run.stopped'; exitCode: number; error: string }
  /** --plan stopped the run before this step, the first that would change the platform. */
  | { type: 'run.planned'; step: string }
  /** A torn last line (crash or disk full mid-append) was moved to `keptAt` and the journal cut back to its last whole event. */
  | { type: 'journal.repaired'; keptAt: string; tornBytes: number; truncatedTo: number }
  /** The run's lock was taken over: from a dead process on this host ('stale') or by --steal-lock ('steal'). */
  | { type: 'lock.taken'; how: 'stale' | 'steal'; previous: { host: string; pid: number; by: string; startedAt: string } | null }
  /** A resume was given a connection setting that differs from the journaled one. */
  | { type: 'settings.changed'; changes: Record<string, { from: unknown; to: unknown }> }
  /** A resume under a runbook whose text changed since the run started, whose reached steps are the same (runbook-change.ts). */
  | { type: 'runbook.changed'; from: string; to: string }
  /** Ambient state (cf target, routes) re-established and verified on resume. */
  | { type: 'ambient.reasserted'; step: string; summary: string }
  /** The run was ended on the record without finishing. */
  | { type: 'run.abandoned'; reason: string }
  /** A --notify notice was delivered, or not (`error`); the replay passes over both. */
  | { type: 'notify.sent'; state: string; to: string }
  | { type: 'notify.failed'; state: string; to: string; error: string }
  /**
   * --record: the platform as the run found it was written as a rehearsal scenario to `dir`, just before
   * the step `before` (the first that changes the platform), or when the run stopped or ended (null).
   */
  | { type: 'scenario.recorded'; dir: string; before: string | null }
  /** --record wrote nothing to `dir`: why (the run had already changed the platform, the read failed). */
  | { type: 'scenario.not-recorded'; dir: string; reason: string }
  | { type: 'run.finished' };

export type JournalEvent = EventBody & {
  v: number;
  seq: number;
  at: string;
  /** Who wrote the event: user@host, and the process. */
  by: string;
  pid: number;
};

/**
 * A line the journal wrote counts as its event when it is a JSON object (readJournal then checks
 * its version); anything else is not a whole event.
 */
function isEvent(value: unknown): value is JournalEvent {
  return isRecord(value);
}

/** The event a line holds, or null when it is not a whole event (a torn write, garbage). */
export function parseEvent(line: string): JournalEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return isEvent(value) ? value : null;
}
