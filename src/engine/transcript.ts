/**
 * The transcript of a run, derived from its journal: every step, the commands it
 * ran (exit code, duration, output summary), who confirmed what and when.
 */
import type { JournalEvent } from './journal.js';
import type { RunSummary } from './runs.js';
import type { Runbook } from './runbook.js';
import { formatArgv } from './reporter.js';

export interface TranscriptStep {
  id: string;
  title: string;
  action: string;
  status: 'pending' | 'started' | 'finished' | 'failed' | 'skipped';
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  attempts: number;
  outputs: Record<string, unknown> | null;
  error: string | null;
  commands: { at: string; system: string; where: string; argv: string[]; writes: boolean; exitCode: number; durationMs: number; output: string }[];
  confirmations: { at: string; by: string; method: string; typed: string | null; expected: string; evidence: Record<string, string> }[];
  notes: { at: string; text: string }[];
}

export interface Transcript {
  runId: string;
  mode: string;
  runbook: string;
  status: string;
  createdAt: string;
  lastEventAt: string;
  inputs: Record<string, unknown>;
  steps: TranscriptStep[];
  interruptions: { at: string; by: string; signal: string }[];
}

export function buildTranscript(run: RunSummary, runbook: Runbook | null): Transcript {
  const steps = new Map<string, TranscriptStep>();
  const order: string[] = runbook ? runbook.steps.map((s) => s.id) : [];
  const titles = new Map(runbook?.steps.map((s) => [s.id, s]) ?? []);
  const get = (id: string): TranscriptStep => {
    let s = steps.get(id);
    if (!s) {
      const def = titles.get(id);
      s = { id, title: def?.title ?? id, action: def?.action ?? '', status: 'pending', startedAt: null, finishedAt: null, durationMs: null, attempts: 0, outputs: null, error: null, commands: [], confirmations: [], notes: [] };
      steps.set(id, s);
      if (!order.includes(id)) order.push(id);
    }
    return s;
  };
  for (const id of order) get(id);
  const interruptions: Transcript['interruptions'] = [];
  for (const e of run.events as JournalEvent[]) {
    switch (e.type) {
      case 'step.started': {
        const s = get(e.step);
        s.status = 'started';
        s.startedAt ??= e.at;
        s.attempts++;
        break;
      }
      case 'step.finished': {
        const s = get(e.step);
        s.status = 'finished';
        s.finishedAt = e.at;
        s.durationMs = e.durationMs;
        s.outputs = e.outputs;
        s.error = null;
        break;
      }
      case 'step.failed': {
        const s = get(e.step);
        s.status = 'failed';
        s.error = e.error;
        break;
      }
      case 'step.skipped': {
        const s = get(e.step);
        s.status = 'skipped';
        s.notes.push({ at: e.at, text: `skipped: ${e.reason}` });
        break;
      }
      case 'step.probed':
        get(e.step).notes.push({ at: e.at, text: `after an interruption, probe said ${e.result}: ${e.why}` });
        break;
      case 'command':
        if (e.step) get(e.step).commands.push({ at: e.at, system: e.system, where: e.where, argv: e.argv, writes: e.writes, exitCode: e.exitCode, durationMs: e.durationMs, output: e.output });
        break;
      case 'confirm':
        get(e.step).confirmations.push({ at: e.at, by: e.by, method: e.method, typed: e.typed ?? null, expected: e.expected, evidence: e.evidence });
        break;
      case 'note':
        if (e.step) get(e.step).notes.push({ at: e.at, text: e.text });
        break;
      case 'run.interrupted':
        interruptions.push({ at: e.at, by: e.by, signal: e.signal });
        break;
      default:
        break;
    }
  }
  return {
    runId: run.runId,
    mode: run.mode,
    runbook: run.runbook,
    status: run.status,
    createdAt: run.createdAt,
    lastEventAt: run.lastEventAt,
    inputs: run.state.inputs,
    steps: order.map((id) => steps.get(id)!),
    interruptions,
  };
}

const MARK: Record<TranscriptStep['status'], string> = { pending: '·', started: '…', finished: '✔', failed: '✖', skipped: '↷' };

export function renderTranscript(t: Transcript): string {
  const out: string[] = [];
  out.push(`run ${t.runId} (${t.mode}, runbook ${t.runbook}): ${t.status}`);
  out.push(`started ${t.createdAt}, last event ${t.lastEventAt}`);
  out.push(`inputs: ${Object.entries(t.inputs).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join('  ')}`);
  for (const i of t.interruptions) out.push(`interrupted at ${i.at} (${i.signal}, ${i.by})`);
  for (const s of t.steps) {
    out.push('');
    const dur = s.durationMs === null ? '' : ` in ${(s.durationMs / 1000).toFixed(1)} s`;
    out.push(`${MARK[s.status]} ${s.id}: ${s.title} — ${s.status}${dur}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
    for (const c of s.confirmations) {
      out.push(`    confirmed by ${c.by} at ${c.at} (${c.method}${c.typed ? `, typed "${c.typed}"` : ''}) for ${c.expected}`);
      for (const [k, v] of Object.entries(c.evidence)) out.push(`      evidence ${k}: ${v}`);
    }
    for (const c of s.commands) {
      out.push(`    $ ${formatArgv(c.argv)}${c.where === 'local' ? '' : ` [${c.where}]`}  → exit ${c.exitCode}, ${c.durationMs} ms`);
      for (const l of c.output.split('\n').filter(Boolean).slice(0, 3)) out.push(`        ${l}`);
    }
    for (const n of s.notes) out.push(`    ${n.text.split('\n')[0]}`);
    if (s.error) out.push(`    error: ${s.error}`);
    if (s.outputs) out.push(`    outputs: ${JSON.stringify(s.outputs)}`);
  }
  return out.join('\n') + '\n';
}
