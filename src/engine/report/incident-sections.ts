/**
 * Parts of the incident report read from the steps' outputs and the run's own events: a section for
 * each step the operator is asked about afterwards (the drill, copying the archive, rebinding,
 * restarting: the steps the runbook's declared outputs are taken from), and the timeline with every
 * interruption, stop and resume.
 */
import { who, type Transcript, type TranscriptStep } from './transcript-model.js';
import { behind, readOf, type StepRead } from './reported.js';
import type { ReportName } from '../runbook/report-reads.js';
import type { Declared } from '../run/outputs.js';
import { roughDuration } from '../../core/duration.js';
import { signalWords } from '../../core/signals.js';

/** An ISO 8601 time in UTC to the second: `2016-03-17T06:10:17Z`. */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '?';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19)}Z`;
}

/** Markdown table cell: no pipes or newlines. */
export function cell(v: string): string {
  return v.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** What a step that did not finish came to: skipped and why, failed and why, or not reached. */
function unfinished(s: TranscriptStep): string {
  if (s.status === 'skipped') return s.notes.find((n) => n.text.startsWith('skipped: '))?.text ?? 'skipped';
  if (s.status === 'failed') return `failed: ${s.error ?? 'unknown error'}`;
  return s.status === 'started' ? 'started, not finished' : 'not reached';
}

/**
 * A step never reached while a later one of the same run (or for-each item) ran: the runbook the run followed had no such step (a
 * journal of an earlier version), so its section would only say "not reached" of a run that is done.
 */
function absentFromRun(t: Transcript, s: TranscriptStep): boolean {
  if (s.status !== 'pending') return false;
  const sameRun = (x: TranscriptStep): boolean => x.item?.forEach === s.item?.forEach && x.item?.key === s.item?.key;
  return t.steps.slice(t.steps.indexOf(s) + 1).some((later) => sameRun(later) && later.status !== 'pending');
}

/** A step's section in words, from what the report reads of its outputs. */
type Described<K extends ReportName> = (s: TranscriptStep, o: StepRead<K>) => string;

const drill: Described<'drilled'> = (s, o) => {
  if (o.drilled === true)
    return `restored and replayed on this machine: databases ${o.databases?.join(', ') || 'none'}; last transaction ${o.lastTransactionAt || 'unknown'}`;
  // Its `why` output; a journal of an earlier version said it in a note.
  const why = o.why || s.notes.find((n) => n.text.startsWith('no drill here: '))?.text.slice('no drill here: '.length);
  return `not drilled: ${why || 'no reason recorded'}`;
};

const cellDrill: Described<'drilledOnCell'> = (_, o) =>
  o.drilled === true
    ? `restored and replayed in ${o.drilledIn || "the container's image"}: databases ${o.databases?.join(', ') || 'none'}; recovery ended at ${o.replayedTo || 'an unknown location'}`
    : `not drilled there: ${o.why || 'no reason recorded'}`;

/**
 * The steps the operator is asked about afterwards, each found as the step a declared output is taken
 * from (the runbook's, or an item's sub-runbook's), and said in words from that step's own outputs.
 */
function section<K extends ReportName>(output: K, title: string, describe: Described<K>): Section {
  return { output, title, describe: (s) => describe(s, readOf(output, s)) };
}

interface Section {
  output: ReportName;
  title: string;
  describe: (s: TranscriptStep) => string;
}

const SECTIONS: Section[] = [
  section('drilled', 'Drill of the old archive', drill),
  section('drilledOnCell', 'Drill of the old archive on the cell', cellDrill),
  section('copied', 'Copying the old archive', (_, o) => `copied ${o.copied ?? 0} object(s), ${o.skipped ?? 0} already in place`),
  section('identical', 'Verifying the copy', (_, o) =>
    o.identical === true ? 'every object is identical to the old archive' : 'NOT identical',
  ),
  section('bound', 'Rebinding the apps', (_, o) => (o.bound?.length ? `bound to ${o.bound.join(', ')}` : 'nothing to rebind')),
  section('restarted', 'Restarting the apps', (_, o) =>
    [
      o.restarted?.length ? `restarted ${o.restarted.join(', ')}` : 'nothing to restart',
      ...(o.leftStopped?.length ? [`left stopped, as the user had them: ${o.leftStopped.join(', ')}`] : []),
    ].join('; '),
  ),
];

/** A section for each of the steps above that `d` (the run's declared outputs, or an item's) declares an output of, saying what it did in words. */
export function stepSections(t: Transcript, d: Declared, level = '##'): string[] {
  const lines: string[] = [];
  for (const { output, title, describe } of SECTIONS) {
    const s = behind(t, d, output);
    if (!s || absentFromRun(t, s)) continue;
    const what = s.outputs ? describe(s) : unfinished(s);
    lines.push(`${level} ${title}`, '', `- ${what}${s.finishedAt ? ` (${utc(s.finishedAt)})` : ''}`, '');
  }
  return lines;
}

/** The timeline: each step as it started, and every interruption, stop and resume, in time order. */
export function timeline(t: Transcript): string[] {
  const rows: { at: string; row: string }[] = [];
  for (const s of t.steps)
    rows.push({
      at: s.startedAt ?? '',
      row: `| ${s.startedAt ? utc(s.startedAt) : ''} | ${cell(s.item ? `[${s.item.key}] ${s.title}` : s.title)} | ${s.status}${s.error ? `: ${cell(s.error)}` : ''}${s.warnings.length ? `, with a warning: ${cell(s.warnings.join('; '))}` : ''} | ${s.attempts} | ${s.durationMs === null ? '' : roughDuration(s.durationMs)} |`,
    });
  const event = (at: string, what: string): void => {
    rows.push({ at, row: `| ${utc(at)} | ${cell(what)} | | | |` });
  };
  for (const i of t.interruptions) event(i.at, `interrupted (${i.atQuestion ? 'Ctrl-C at a question' : signalWords(i.signal)}) by ${i.by}`);
  for (const s of t.stops)
    event(s.at, `${s.exitCode === 3 ? 'stopped to wait for the operator' : `stopped (exit ${s.exitCode})`}: ${s.error}`);
  // A session a resume found ended without a word: its last event is the last sign of it.
  for (const s of t.spans.filter((sp) => sp.ended === 'killed'))
    event(s.lastEventAt, 'the process ended without a word after this (killed, crashed or its machine lost): found at the next resume');
  for (const r of t.sessions) event(r.at, `${r.how} by ${who(r.by, r.operator)}${r.tool ? ` with ${r.tool}` : ''}`);
  // Steps not started yet have no time: they stay in the runbook's order, after the rest.
  const timed = rows.filter((r) => r.at).sort((a, b) => a.at.localeCompare(b.at));
  return [
    '| started | step | status | attempts | duration |',
    '|---|---|---|---|---|',
    ...timed.map((r) => r.row),
    ...rows.filter((r) => !r.at).map((r) => r.row),
    '',
  ];
}
