/**
 * What a loaded runbook is: its inputs and its steps, each an action with parameters or a for-each over a
 * sub-runbook; the steps of a runbook a `use` step inlined are among them, in its place.
 */
import { output, type ActionDef, type ValueType } from './action.js';
import { shape, type Shape } from './shape.js';
import type { ChoiceDef } from './choice-def.js';
import type { ReportName } from './report-reads.js';

export type { ChoiceDef } from './choice-def.js';

export interface InputDef {
  name: string;
  prompt: string;
  /** `object[]`: records a use step binds to a step's output (never asked at a prompt). */
  type: 'string' | 'string[]' | 'boolean' | 'object[]';
  /** A regular expression a string answer must match. */
  pattern?: string;
  default?: unknown;
  help?: string;
  /**
   * Asked only when every earlier input named has the value given (`askedWhen: {into: service}`), or
   * not when every one has it (`askedUnless: {merge: []}`): otherwise its answer cannot matter, and it
   * takes its default without a question.
   */
  askedWhen?: Record<string, unknown>;
  askedUnless?: Record<string, unknown>;
  line: number;
}

export interface ConfirmDef {
  /** The value the operator must type: a name, or a GUID of which the first 8 characters suffice. */
  typed: string;
  message: string;
  /**
   * Another text that confirms the step (e.g. the service name), known before the run starts, so
   * an answers file can confirm a step whose GUID only exists once an earlier step ran.
   */
  alsoAccept?: string;
  /**
   * Set when only the operator's typing confirms the step, never --yes (nor `true` in an answers file):
   * a whole reference to the input the text is given as where no terminal asks it (`resume ID --set
   * NAME=TEXT`). Without a terminal, or with --yes, and without that input, the step waits for the operator.
   */
  typedInput?: string;
}

/** A step that runs a sub-runbook once per item of a list (see runbook-foreach.ts). */
export interface ForEachDef {
  /** A whole reference to an object[] or string[]. */
  items: string;
  /** The field of an object item naming the item; undefined for string items (the string is the key). */
  key?: string;
  /** At most this many items at once. */
  concurrency: number;
  /** The sub-runbook, loaded and checked. */
  runbook: Runbook;
  /** An earlier step with a confirm block whose confirmation covers the item steps' confirm blocks. */
  confirmedBy?: string;
  /** The sub-runbook's inputs: values that may hold `${item.FIELD}`. */
  inputs: Record<string, unknown>;
}

export interface StepDef {
  id: string;
  title: string;
  why: string;
  /** The action's name; empty for a for-each step. */
  action: string;
  with: Record<string, unknown>;
  confirm?: ConfirmDef;
  /** The choices its action asks, as the runbook declares them. */
  choose?: ChoiceDef[];
  /** A reference; the step runs only when it resolves to true. */
  when?: string;
  /** Text (may hold references): two steps of a for-each's items whose values are equal never run at once. */
  exclusive?: string;
  forEach?: ForEachDef;
  /** The runbook that defines the step, when a `use` step inlined it here (see runbook-use.ts). */
  from?: { name: string; file: string };
  /** Its line in the file that defines it. */
  line: number;
}

/**
 * What a runbook produces, declared in its `outputs:`: a name, a type, and the step output it is
 * taken `from` (`${steps.ID.outputs.KEY}`, checked when the runbook loads). Callers read these and
 * never a runbook's inner steps: a `use` step's as `steps.USE_ID.outputs.NAME`, a for-each item's in
 * its result, a run's in `--json`, `--notify` and the reports.
 */
export interface OutputDef {
  name: string;
  type: ValueType;
  description: string;
  /** A whole reference to a step's output (of a step of this runbook or one it uses). */
  from: string;
  /** The records' shape, for an object or object[] whose source declares one. */
  shape?: Shape;
  line: number;
}

/** Which instance and archive (or which space) a run of the runbook is about, as references to step outputs (`subject:`). */
export interface SubjectDef {
  instanceGuid?: string;
  spaceGuid?: string;
  archiveUrl?: string;
  /** A reference to a boolean, or a literal: whether cf still knows the instance. */
  live: string | boolean;
}

export interface Runbook {
  file: string;
  /** Of the runbook's text and of the runbooks it uses or runs per item. */
  sha256: string;
  name: string;
  title: string;
  description: string;
  inputs: InputDef[];
  steps: StepDef[];
  outputs: OutputDef[];
  /** The declared outputs its incident report shows (`report:`, runbook-report.ts); absent, it declares none the report reads. */
  report?: ReportName[];
  subject?: SubjectDef;
}

export type ActionRegistry = ReadonlyMap<string, ActionDef>;

/** One item's result among a for-each step's `results`: `outputs` holds the sub-runbook's declared outputs. */
export const FOR_EACH_RESULT = shape('for-each result', {
  key: 'string',
  status: 'string',
  error: 'string?',
  failedStep: 'string?',
  outputs: 'object',
});

/** The outputs every for-each step has. */
export const FOR_EACH_OUTPUTS = {
  results: output(
    'object[]',
    "one per item: {key, status, error?, failedStep?, outputs: the sub-runbook's declared outputs}",
    FOR_EACH_RESULT,
  ),
  finished: output('number', 'items whose steps all finished'),
  failed: output('number', 'items with a failed step'),
};
