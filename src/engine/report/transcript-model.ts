/** What a run's transcript holds: every step with its commands, confirmations and notes, and what happened to the run itself. */
import type { EventBody } from '../journal/journal-events.js';
import type { LockInfo } from '../run/lock-holder.js';
import type { StepStatus } from '../journal/replay.js';
import type { Declared } from '../run/outputs.js';
import type { RunSubject } from '../runbook/declared-outputs.js';

/** A command a step ran, as the journal recorded it; `lost`: sent, but its answer never came (it may have taken effect). */
export type TranscriptCommand = Omit<Extract<EventBody, { type: 'command' }>, 'type' | 'step' | 'lost'> & { at: string; lost: boolean };

export interface TranscriptStep {
  /** The journal's id: the step's own, or for a for-each item's step `FOR_EACH_ID/KEY/STEP_ID`. */
  id: string;
  /** Set for a for-each item's step: the for-each step and the item's key. */
  item: { forEach: string; key: string } | null;
  title: string;
  action: string;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  attempts: number;
  outputs: Record<string, unknown> | null;
  error: string | null;
  /** A finished step that could not do all its work: why, each (empty when it did). */
  warnings: string[];
  commands: TranscriptCommand[];
  confirmations: {
    at: string;
    by: string;
    method: string;
    typed: string | null;
    expected: string;
    evidence: Record<string, string>;
    /** For method 'plan': the step whose confirmation covered this one. */
    coveredBy: string | null;
    /** The person driving the run then (see `sessions`); null in older journals. */
    operator: string | null;
  }[];
  notes: { at: string; text: string }[];
  /** Ambient state (cf target…) this finished step re-established and verified on a resume. */
  reasserted: { at: string; summary: string }[];
}

export interface Transcript {
  runId: string;
  mode: string;
  runbook: string;
  status: string;
  createdAt: string;
  lastEventAt: string;
  /**
   * Each session of the run (its start, then each resume): when it began, its last event, and how it
   * ended; `killed` when a resume found it had ended without a word (killed, crashed, the machine lost),
   * null for the last one while it runs or when it ended so and was not resumed.
   */
  spans: { startedAt: string; lastEventAt: string; ended: SpanEnd | null }[];
  /** The S3 endpoint of a live run (--s3-endpoint), for the cleanup commands; null for AWS's own or a rehearsal. */
  s3Endpoint: string | null;
  /** The program and version that started the run (`dingo-recover 1.2.3`), when its journal says. */
  tool: string | null;
  inputs: Record<string, unknown>;
  /** What the runbook says the run is about: an instance, a whole space, or nothing it declares (null, too, without the runbook). */
  about: 'instance' | 'space' | null;
  /** The instance the run is about (the runbook's `subject:`), once the step naming it finished. */
  subject: RunSubject | null;
  /** The runbook's declared outputs (`outputs:`) as the run came to them. */
  declared: Declared;
  /** Each for-each item's (by `FOR_EACH_ID/KEY`, in the order of the steps): its sub-runbook's declared outputs. */
  items: Record<string, Declared>;
  steps: TranscriptStep[];
  /** Run-level entries carry the journal's `seq`, which orders them. */
  /**
   * The run's start and each resume: the login (`by`), the person driving it (`operator`, null in
   * older journals) and the program and version (`tool`, when journaled).
   */
  sessions: { seq: number; at: string; by: string; operator: string | null; how: 'started' | 'resumed'; tool?: string }[];
  /** `atQuestion`: the operator's Ctrl-C at a prompt. */
  interruptions: { seq: number; at: string; by: string; signal: string; atQuestion?: boolean }[];
  /** Each time the run stopped on a failure, or to wait for the operator (exit 3). */
  stops: { seq: number; at: string; by: string; exitCode: number; error: string }[];
  /** Torn last events cut off the journal (kept in a file of their own) when the run was opened again. */
  repairs: { seq: number; at: string; by: string; keptAt: string; tornBytes: number; truncatedTo: number }[];
  /** The run's lock taken over from a dead driver ('stale') or by --steal-lock ('steal'). */
  lockTakeovers: { seq: number; at: string; by: string; how: 'stale' | 'steal'; previous: LockInfo | null }[];
  /** Connection settings a resume changed. */
  settingsChanges: { seq: number; at: string; by: string; changes: Record<string, { from: unknown; to: unknown }> }[];
  runbookChanges: { seq: number; at: string; by: string; from: string; to: string }[];
  /** Answers corrected on a resume (--set, the answers file, or asked again at a terminal): the input, its old and new value. */
  corrections: { seq: number; at: string; by: string; name: string; was: unknown; value: unknown; source: string }[];
  /** --record: the scenario of the platform as the run found it, written to `dir` (before step `before`), or why not. */
  scenarios: { seq: number; at: string; by: string; dir: string; written: boolean; before: string | null; reason: string | null }[];
  abandoned: { seq: number; at: string; by: string; reason: string } | null;
}

export type SpanEnd = 'finished' | 'interrupted' | 'stopped' | 'planned' | 'abandoned' | 'killed';

/** Who did something: the person and the login (`alice (ubuntu@opsman)`), or the login alone when they say the same. */
export function who(by: string, operator: string | null): string {
  return operator && operator !== by.split('@')[0] ? `${operator} (${by})` : by;
}

const CORRECTED_BY: Record<string, string> = { set: 'resume --set', prompt: 'asked again at a terminal', answers: 'the answers file' };

const shown = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v));

/** Connection settings a resume changed, in words: when, by whom, each from what to what. */
export function settingsChangeText(c: Transcript['settingsChanges'][number]): string {
  return `settings changed at ${c.at} by ${c.by}: ${Object.entries(c.changes)
    .map(([k, v]) => `${k} ${shown(v.from)} → ${shown(v.to)}`)
    .join('; ')}`;
}

/** An answer corrected on a resume, in words: which, from what to what, when, by whom and how. */
export function correctionText(c: Transcript['corrections'][number]): string {
  return `answer ${c.name} corrected at ${c.at} by ${c.by} (${CORRECTED_BY[c.source] ?? c.source}): ${shown(c.was)} → ${shown(c.value)}`;
}
