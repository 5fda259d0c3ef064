/**
 * The transcript of a run, derived from its journal: every step, the commands it
 * ran (exit code, duration, output summary), who confirmed what and when, and what
 * happened to the run itself (interruptions, repairs, lock take-overs, changed
 * settings, abandonment). Rendered text is safe for a terminal: control characters
 * in remote output show as escapes; the journal keeps them as they were.
 */
import { printable, printableJson } from '../../core/display.js';
import { EXIT } from '../../core/errors.js';
import { signalWords } from '../../core/signals.js';
import { correctionText, settingsChangeText, who, type Transcript, type TranscriptStep } from './transcript-model.js';
import { applyRunEvent, applyStepEvent, newStep, sessionSpans, type RunEntries } from './transcript-events.js';
import type { RunSummary } from '../run/runs.js';
import type { Runbook } from '../runbook/runbook.js';
import { formatArgv } from '../operator/screen-text.js';
import { WARNED_MARK, warnedText } from '../operator/step-screen.js';
import { doneWords } from './run-done.js';
import { warnedSteps } from './run-outcome.js';
import { stepOrder } from './transcript-order.js';
import { declaredBy, producedBy } from '../run/outputs.js';

/** Each for-each item's declared outputs (its sub-runbook's), by `FOR_EACH_ID/KEY`, in the order of `steps`. */
function itemsDeclared(runbook: Runbook, steps: TranscriptStep[], run: RunSummary): Transcript['items'] {
  const items: Transcript['items'] = {};
  for (const s of steps) {
    const sub = s.item && runbook.steps.find((d) => d.id === s.item?.forEach)?.forEach?.runbook;
    const id = s.item && `${s.item.forEach}/${s.item.key}`;
    if (sub && id && !(id in items)) items[id] = declaredBy(sub, run.state.steps, `${id}/`);
  }
  return items;
}

export function buildTranscript(run: RunSummary, runbook: Runbook | null): Transcript {
  const steps = new Map<string, TranscriptStep>();
  const { ids: order, defs } = stepOrder(runbook, run.events);
  const get = (id: string): TranscriptStep => {
    let s = steps.get(id);
    if (!s) {
      s = newStep(id, defs.get(id));
      steps.set(id, s);
      if (!order.includes(id)) order.push(id);
    }
    return s;
  };
  for (const id of order) get(id);
  const entries: RunEntries = {
    sessions: [],
    interruptions: [],
    stops: [],
    repairs: [],
    lockTakeovers: [],
    settingsChanges: [],
    runbookChanges: [],
    corrections: [],
    scenarios: [],
    abandoned: null,
  };
  let operator: string | null = null;
  for (const e of run.events) {
    if (e.type === 'run.created' || e.type === 'run.resumed') operator = e.operator ?? null;
    if (!applyStepEvent(e, get, operator)) applyRunEvent(e, entries);
  }
  for (const [id, s] of steps) {
    const state = run.state.steps.get(id);
    s.status = state?.status ?? 'pending';
    s.attempts = state?.attempts ?? 0;
    s.outputs = state?.status === 'finished' ? (state.outputs ?? {}) : null;
    s.error = state?.error ?? null;
    s.warnings = state?.status === 'finished' ? (state.warnings ?? []) : [];
  }
  const all = order.map((id) => get(id));
  const live = run.state.created.options.live;
  const s3 = typeof live === 'object' && live !== null && 's3' in live ? (live as { s3?: { endpoint?: unknown } }).s3 : undefined;
  return {
    runId: run.runId,
    mode: run.mode,
    runbook: run.runbook,
    status: run.status,
    createdAt: run.createdAt,
    lastEventAt: run.lastEventAt,
    spans: sessionSpans(run.events),
    s3Endpoint: typeof s3?.endpoint === 'string' ? s3.endpoint : null,
    tool: typeof run.state.created.options.tool === 'string' ? run.state.created.options.tool : null,
    inputs: run.state.inputs,
    about: runbook?.subject ? (runbook.subject.instanceGuid ? 'instance' : 'space') : null,
    subject: runbook ? producedBy(runbook, run.state.steps).subject : null,
    declared: runbook ? declaredBy(runbook, run.state.steps) : { outputs: {}, steps: {} },
    items: runbook ? itemsDeclared(runbook, all, run) : {},
    steps: all,
    ...entries,
  };
}

const MARK: Record<TranscriptStep['status'], string> = { pending: '·', started: '…', finished: '✔', failed: '✖', skipped: '↷' };

/** What happened to the run itself, one line each, in the order it happened. */
function runEvents(t: Transcript): string[] {
  const lines: { seq: number; text: string }[] = [
    ...t.sessions.map((s) => ({ seq: s.seq, text: `${s.how} at ${s.at} by ${who(s.by, s.operator)}${s.tool ? ` with ${s.tool}` : ''}` })),
    ...t.interruptions.map((i) => ({
      seq: i.seq,
      text: `interrupted at ${i.at} (${i.atQuestion ? 'Ctrl-C at a question' : signalWords(i.signal)}, ${i.by})`,
    })),
    ...t.stops.map((s) => ({
      seq: s.seq,
      text: `${s.exitCode === EXIT.needsOperator ? 'stopped to wait for the operator' : `stopped (exit ${s.exitCode})`} at ${s.at}: ${s.error}`,
    })),
    ...t.repairs.map((r) => ({
      seq: r.seq,
      text: `journal repaired at ${r.at} by ${r.by}: a torn last event (${r.tornBytes} bytes) was kept at ${r.keptAt}; the journal was cut back to ${r.truncatedTo} bytes`,
    })),
    ...t.lockTakeovers.map((l) => ({
      seq: l.seq,
      text: `lock taken over (${l.how === 'steal' ? '--steal-lock' : 'stale'}) at ${l.at} by ${l.by} from ${l.previous ? `${l.previous.by} pid ${l.previous.pid}, holding it since ${l.previous.startedAt}` : 'a lock file that named no holder'}`,
    })),
    ...t.settingsChanges.map((c) => ({ seq: c.seq, text: settingsChangeText(c) })),
    ...t.corrections.map((c) => ({ seq: c.seq, text: correctionText(c) })),
    ...t.runbookChanges.map((c) => ({
      seq: c.seq,
      text: `resumed at ${c.at} by ${c.by} under a changed runbook (sha256 ${c.from.slice(0, 12)}… → ${c.to.slice(0, 12)}…): the steps the run had reached are the same`,
    })),
    ...t.scenarios.map((r) => ({
      seq: r.seq,
      text: r.written
        ? `scenario of the platform as the run found it written at ${r.at} to ${r.dir}${r.before ? `, before step ${r.before}` : ''}`
        : `no scenario written to ${r.dir} (--record) at ${r.at}: ${r.reason ?? ''}`,
    })),
    ...(t.abandoned ? [{ seq: t.abandoned.seq, text: `abandoned at ${t.abandoned.at} by ${t.abandoned.by}: ${t.abandoned.reason}` }] : []),
  ];
  return lines.sort((a, b) => a.seq - b.seq).map((l) => l.text);
}

/** An item's status, from its steps: failed, finished (every step finished or skipped), or where it stands. */
export function itemStatus(t: Transcript, itemId: string): string {
  const steps = t.steps.filter((s) => s.id.startsWith(`${itemId}/`));
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  if (steps.every((s) => s.status === 'finished' || s.status === 'skipped')) return 'finished';
  return steps.some((s) => s.status !== 'pending') ? 'started' : 'pending';
}

/** A step's lines: its status, confirmations, commands, notes, error and outputs. */
function stepLines(s: TranscriptStep): string[] {
  const out: string[] = [];
  const dur = s.durationMs === null ? '' : ` in ${(s.durationMs / 1000).toFixed(1)} s`;
  const mark = s.warnings.length ? WARNED_MARK : MARK[s.status];
  const status = s.warnings.length ? warnedText(s.warnings) : s.status;
  out.push(`${mark} ${s.id}: ${s.title} — ${status}${dur}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
  for (const c of s.confirmations) {
    const how = c.coveredBy ? `${c.method}, covered by the confirmation of step ${c.coveredBy}` : c.method;
    out.push(`    confirmed by ${who(c.by, c.operator)} at ${c.at} (${how}${c.typed ? `, typed "${c.typed}"` : ''}) for ${c.expected}`);
    for (const [k, v] of Object.entries(c.evidence)) out.push(`      evidence ${k}: ${v}`);
  }
  for (const c of s.commands) {
    out.push(
      `    $ ${formatArgv(c.argv)}${c.where === 'local' ? '' : ` [${c.where}]`}  → ${c.lost ? 'answer lost (it may have taken effect)' : `exit ${c.exitCode}`}, ${c.durationMs} ms`,
    );
    for (const l of c.output.split(/\r?\n/).filter(Boolean).slice(0, 3)) out.push(`        ${l}`);
  }
  for (const r of s.reasserted) out.push(`    re-established on resume at ${r.at}: ${r.summary}`);
  for (const n of s.notes) out.push(`    ${n.text.split(/\r?\n/)[0]}`);
  if (s.error) out.push(`    error: ${s.error}`);
  if (s.outputs) out.push(`    outputs: ${JSON.stringify(s.outputs)}`);
  return out;
}

/** The transcript as text for a terminal: remote output's control characters show as escapes (see printable). */
export function renderTranscript(t: Transcript): string {
  const out: string[] = [];
  out.push(`run ${t.runId} (${t.mode}, runbook ${t.runbook}): ${t.status === 'done' ? doneWords(warnedSteps(t).length) : t.status}`);
  out.push(`started ${t.createdAt}, last event ${t.lastEventAt}`);
  out.push(
    `inputs: ${Object.entries(t.inputs)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join('  ')}`,
  );
  out.push(...runEvents(t));
  let item: string | undefined;
  for (const s of t.steps) {
    const itemId = s.item ? `${s.item.forEach}/${s.item.key}` : undefined;
    if (s.item && itemId !== item) out.push('', `  item ${s.item.key} of ${s.item.forEach}: ${itemStatus(t, itemId!)}`);
    item = itemId;
    out.push('', ...stepLines(s).map((l) => (s.item ? `    ${l}` : l)));
  }
  return printable(out.join('\n')) + '\n';
}

/** The transcript as JSON (`show --json`), with DEL, C1 and Unicode controls escaped too; it parses back to `t`. */
export function renderTranscriptJson(t: Transcript): string {
  return printableJson(t, 2) + '\n';
}
