/**
 * The report's only way to a run's declared outputs: by the names and types of what it reads
 * (runbook/report-reads.ts), which the runbook lists under `report:` and the loader checks. A value
 * an old or hand-edited journal holds in another type reads as absent, never as something else.
 */
import { valueFits, type ValueOf, type ValueType } from '../runbook/action.js';
import { REPORT_READS, type ReportName, type StepReads } from '../runbook/report-reads.js';
import type { Transcript, TranscriptStep } from './transcript-model.js';
import type { Declared } from '../run/outputs.js';

type Read<K extends ReportName> = ValueOf<(typeof REPORT_READS)[K]['type']>;
/** The names of the outputs the report reads as `T`. */
export type Named<T extends ValueType> = { [K in ReportName]: (typeof REPORT_READS)[K]['type'] extends T ? K : never }[ReportName];

/** The outputs the report reads of the step behind `K`, each when it holds the type read. */
export type StepRead<K extends ReportName> = {
  [P in keyof StepReads<K>]?: StepReads<K>[P] extends ValueType ? ValueOf<StepReads<K>[P]> : never;
};

function typed(type: ValueType, v: unknown): boolean {
  return v !== undefined && v !== null && valueFits(type, v);
}

/** A declared output the report reads, once its step finished; undefined before, or when not of its type. */
export function reported<K extends ReportName>(d: Declared, name: K): Read<K> | undefined {
  const v = d.outputs[name];
  return typed(REPORT_READS[name].type, v) ? (v as Read<K>) : undefined;
}

/** A text the report reads ('' when absent). */
export function text(d: Declared, name: Named<'string'>): string {
  return reported(d, name) ?? '';
}

/** A list of texts the report reads ([] when absent). */
export function texts(d: Declared, name: Named<'string[]'>): string[] {
  return reported(d, name) ?? [];
}

/** Whether the runbook (or an item's sub-runbook) declares `name` for the report, its step finished or not. */
export function declares(d: Declared, name: ReportName): boolean {
  return d.steps[name] !== undefined;
}

/** The step a declared output the report reads is taken from, as the transcript has it. */
export function behind(t: Transcript, d: Declared, name: ReportName): TranscriptStep | undefined {
  const id = d.steps[name];
  return id === undefined ? undefined : t.steps.find((s) => s.id === id);
}

/** What the report reads of the outputs of `s`, the step behind `name` ({} until it finished). */
export function readOf<K extends ReportName>(name: K, s: TranscriptStep | undefined): StepRead<K> {
  const reads: Readonly<Record<string, ValueType>> = REPORT_READS[name].step;
  const out: Record<string, unknown> = {};
  for (const [key, type] of Object.entries(reads)) if (typed(type, s?.outputs?.[key])) out[key] = s!.outputs![key];
  return out as StepRead<K>;
}
