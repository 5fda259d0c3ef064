/**
 * The incident report's parts for for-each steps and summaries: a section per item (its steps, the
 * decisions and their evidence, its confirmations, what it kept aside as its sub-runbook declares it),
 * and the declared Markdown `summary` under the title of the step it comes from.
 */
import { commandLine } from '../../core/command-line.js';
import { who, type Transcript, type TranscriptStep } from './transcript-model.js';
import { itemStatus } from './transcript.js';
import { behind, text, type Named } from './reported.js';
import { stepSections } from './incident-sections.js';
import type { Declared } from '../run/outputs.js';

const MARK: Record<TranscriptStep['status'], string> = { pending: '·', started: '…', finished: '✔', failed: '✖', skipped: '↷' };

/**
 * The declared `summary` (Markdown, written by a step for the report) of the run or of an item,
 * under the title of the step it is taken from.
 */
export function summaries(t: Transcript, d: Declared, level = '##'): string[] {
  const summary = text(d, 'summary').trim();
  const step = behind(t, d, 'summary');
  return summary && step ? [`${level} ${step.title}`, '', summary, ''] : [];
}

/**
 * A piece of evidence as a list line; the log lines it quotes (`FILE @ byte N: LINE`, as `logs find`
 * shows them) under it, as code, so the file and offset to open are in the report.
 */
function evidenceItem(text: string): string {
  const [first, ...quoted] = text.split('\n');
  return [`- ${first}`, ...quoted.filter((q) => q.trim()).map((q) => `  - ${code(q.trim())}`)].join('\n');
}

/** `text` as a Markdown code span, fenced by more backticks than it holds in a row. */
function code(text: string): string {
  const fence = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length)) + 1);
  return `${fence} ${text} ${fence}`;
}

/** The evidence a step's notes and last confirmation hold, as list lines. */
export function evidenceLines(s: TranscriptStep, runId: string): string[] {
  const noted = s.notes.filter((n) => n.text.startsWith('evidence: ')).map((n) => evidenceItem(n.text.slice('evidence: '.length)));
  const confirmed = Object.entries(s.confirmations.at(-1)?.evidence ?? {}).map(([k, v]) => `- ${k}: ${v}`);
  return [
    ...noted.slice(0, 12),
    ...(noted.length > 12 ? [`- … ${noted.length - 12} more (\`${commandLine(['show', runId])}\`)`] : []),
    ...confirmed,
  ];
}

/** What an item kept aside, as its sub-runbook declares it. */
function keptAside(d: Declared): string[] {
  const out = (name: Named<'string'>): string => text(d, name);
  const lines: string[] = [];
  if (out('quarantineUrl')) lines.push(`- The new instance's original archive: ${out('quarantineUrl')}`);
  if (out('dataAside'))
    lines.push(`- The new container's original data: ${out('dataAside')}${out('cellIp') ? ` on ${out('cellIp')}` : ''}`);
  return lines.length ? lines : ['- nothing yet'];
}

function confirmationLines(steps: TranscriptStep[]): string[] {
  return steps.flatMap((s) =>
    s.confirmations.map(
      (c) =>
        `- ${s.title}: ${c.coveredBy ? `with the plan (confirmed at step ${c.coveredBy})` : `${c.method}${c.typed ? ` "${c.typed}"` : ''} by ${who(c.by, c.operator)}`}, for ${c.expected}`,
    ),
  );
}

function itemSection(t: Transcript, forEach: TranscriptStep, key: string): string[] {
  const steps = t.steps.filter((s) => s.item?.forEach === forEach.id && s.item.key === key);
  const id = `${forEach.id}/${key}`;
  const declared = t.items[id] ?? { outputs: {}, steps: {} };
  const lines = [`### ${key}: ${itemStatus(t, id)}`, ''];
  for (const s of steps) lines.push(`- ${MARK[s.status]} ${s.title}${s.error ? `: ${s.error}` : ''}`);
  lines.push('', '#### Decisions and their evidence', '');
  for (const s of steps) {
    const evidence = evidenceLines(s, t.runId);
    if (evidence.length) lines.push(`${s.title}:`, '', ...evidence, '');
  }
  const confirmed = confirmationLines(steps);
  lines.push('#### Confirmations', '', ...(confirmed.length ? confirmed : ['- none']), '');
  lines.push(
    '#### Kept aside, never deleted',
    '',
    ...keptAside(declared),
    '',
    ...stepSections(t, declared, '####'),
    ...summaries(t, declared, '####'),
  );
  return lines;
}

/** A section per for-each step, with a subsection per item. */
export function itemSections(t: Transcript): string[] {
  const lines: string[] = [];
  for (const fe of t.steps.filter((s) => !s.item)) {
    const keys = [...new Set(t.steps.filter((s) => s.item?.forEach === fe.id).map((s) => s.item!.key))];
    if (keys.length === 0) continue;
    lines.push(`## ${fe.title}: ${keys.length} item${keys.length === 1 ? '' : 's'}`, '');
    for (const key of keys) lines.push(...itemSection(t, fe, key));
  }
  return lines;
}
