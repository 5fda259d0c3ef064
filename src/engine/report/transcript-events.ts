/** How each journal event shows in a transcript: on the step it belongs to, or among what happened to the run. */
import type { JournalEvent } from '../journal/journal-events.js';
import type { SpanEnd, Transcript, TranscriptCommand, TranscriptStep } from './transcript-model.js';

/** The run-level entries of a transcript, filled as the journal is read. */
export type RunEntries = Pick<
  Transcript,
  | 'sessions'
  | 'interruptions'
  | 'stops'
  | 'repairs'
  | 'lockTakeovers'
  | 'settingsChanges'
  | 'runbookChanges'
  | 'corrections'
  | 'scenarios'
  | 'abandoned'
>;

export function newStep(id: string, def: { title: string; action: string } | undefined): TranscriptStep {
  const [forEach, key] = id.split('/');
  return {
    id,
    item: forEach !== undefined && key !== undefined ? { forEach, key } : null,
    title: def?.title ?? id,
    action: def?.action ?? '',
    status: 'pending',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempts: 0,
    outputs: null,
    error: null,
    warnings: [],
    commands: [],
    confirmations: [],
    notes: [],
    reasserted: [],
  };
}

function commandOf(e: Extract<JournalEvent, { type: 'command' }>): TranscriptCommand {
  return {
    at: e.at,
    system: e.system,
    where: e.where,
    argv: e.argv,
    writes: e.writes,
    exitCode: e.exitCode,
    durationMs: e.durationMs,
    output: e.output,
    lost: e.lost === true,
  };
}

/**
 * When a step's status changed (started, finished, failed, skipped): the times and how long it worked.
 * The status itself, attempts, outputs and error are the run's replayed state's (see replay.ts).
 */
function applyTimes(e: JournalEvent, step: (id: string) => TranscriptStep): boolean {
  switch (e.type) {
    case 'step.started':
      step(e.step).startedAt ??= e.at;
      return true;
    case 'step.finished': {
      const s = step(e.step);
      s.finishedAt = e.at;
      s.durationMs = e.durationMs;
      return true;
    }
    case 'step.failed':
      step(e.step);
      return true;
    case 'step.skipped':
      step(e.step).notes.push({ at: e.at, text: `skipped: ${e.reason}` });
      return true;
    default:
      return false;
  }
}

/**
 * Adds an event that belongs to one step to that step; false when the event belongs to no step.
 * `operator`: the person driving the run when the event was written.
 */
export function applyStepEvent(e: JournalEvent, step: (id: string) => TranscriptStep, operator: string | null = null): boolean {
  if (applyTimes(e, step)) return true;
  switch (e.type) {
    case 'step.probed':
      step(e.step).notes.push({ at: e.at, text: `after an interruption, probe said ${e.result}: ${e.why}` });
      return true;
    case 'command':
      if (e.step) step(e.step).commands.push(commandOf(e));
      return true;
    case 'confirm':
      step(e.step).confirmations.push({
        at: e.at,
        by: e.by,
        method: e.method,
        typed: e.typed ?? null,
        expected: e.expected,
        evidence: e.evidence,
        coveredBy: e.coveredBy ?? null,
        operator,
      });
      return true;
    case 'note':
      if (e.step) step(e.step).notes.push({ at: e.at, text: e.text });
      return true;
    case 'choice':
      step(e.step).notes.push({ at: e.at, text: `chosen: ${e.key} ${e.value} (by ${e.by})` });
      return true;
    case 'ambient.reasserted':
      step(e.step).reasserted.push({ at: e.at, summary: e.summary });
      return true;
    default:
      return false;
  }
}

/** The program and version a start or resume journaled. */
function toolOf(e: Extract<JournalEvent, { type: 'run.created' | 'run.resumed' }>): string | undefined {
  const tool = e.type === 'run.created' ? e.options.tool : e.tool;
  return typeof tool === 'string' ? tool : undefined;
}

/** Adds an event about the run itself (started, resumed, interrupted, stopped, repaired, lock taken over, settings or runbook changed, abandoned). */
export function applyRunEvent(e: JournalEvent, run: RunEntries): void {
  switch (e.type) {
    case 'run.created':
    case 'run.resumed':
      run.sessions.push({
        seq: e.seq,
        at: e.at,
        by: e.by,
        operator: e.operator ?? null,
        how: e.type === 'run.created' ? 'started' : 'resumed',
        ...(toolOf(e) ? { tool: toolOf(e) } : {}),
      });
      break;
    case 'run.interrupted':
      run.interruptions.push({ seq: e.seq, at: e.at, by: e.by, signal: e.signal, ...(e.atQuestion ? { atQuestion: true } : {}) });
      break;
    case 'run.stopped':
      run.stops.push({ seq: e.seq, at: e.at, by: e.by, exitCode: e.exitCode, error: e.error });
      break;
    case 'journal.repaired':
      run.repairs.push({ seq: e.seq, at: e.at, by: e.by, keptAt: e.keptAt, tornBytes: e.tornBytes, truncatedTo: e.truncatedTo });
      break;
    case 'lock.taken':
      run.lockTakeovers.push({ seq: e.seq, at: e.at, by: e.by, how: e.how, previous: e.previous });
      break;
    case 'scenario.recorded':
    case 'scenario.not-recorded':
      run.scenarios.push({
        seq: e.seq,
        at: e.at,
        by: e.by,
        dir: e.dir,
        written: e.type === 'scenario.recorded',
        before: e.type === 'scenario.recorded' ? e.before : null,
        reason: e.type === 'scenario.not-recorded' ? e.reason : null,
      });
      break;
    case 'settings.changed':
      run.settingsChanges.push({ seq: e.seq, at: e.at, by: e.by, changes: e.changes });
      break;
    case 'input':
      if ('was' in e) run.corrections.push({ seq: e.seq, at: e.at, by: e.by, name: e.name, was: e.was, value: e.value, source: e.source });
      break;
    case 'runbook.changed':
      run.runbookChanges.push({ seq: e.seq, at: e.at, by: e.by, from: e.from, to: e.to });
      break;
    case 'run.abandoned':
      run.abandoned = { seq: e.seq, at: e.at, by: e.by, reason: e.reason };
      break;
    default:
      break;
  }
}

const ENDS: Partial<Record<JournalEvent['type'], SpanEnd>> = {
  'run.finished': 'finished',
  'run.interrupted': 'interrupted',
  'run.stopped': 'stopped',
  'run.planned': 'planned',
  'run.abandoned': 'abandoned',
};

/**
 * The run's sessions from its events: each start or resume to its last event, and how it ended. A
 * session a resume followed without any word of its end was killed (or crashed, or lost its machine).
 */
export function sessionSpans(events: readonly JournalEvent[]): Transcript['spans'] {
  const spans: Transcript['spans'] = [];
  for (const e of events) {
    if (e.type === 'run.created' || e.type === 'run.resumed') {
      const last = spans.at(-1);
      if (last && last.ended === null) last.ended = 'killed';
      spans.push({ startedAt: e.at, lastEventAt: e.at, ended: null });
      continue;
    }
    const span = spans.at(-1);
    if (!span) continue;
    span.lastEventAt = e.at;
    // The word that ended it first: a notice sent after a stop changes nothing.
    span.ended ??= ENDS[e.type] ?? null;
  }
  return spans;
}
