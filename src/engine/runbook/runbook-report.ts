/**
 * A runbook's `report:`: the declared outputs its incident report shows, by name.
 *
 *   report: [newGuid, cellIp, quarantineUrl, dataAside, deletedAt, lastSegmentAt, drilled, todo]
 *
 * Checked when the runbook loads against what the report reads (report-reads.ts): each name is one
 * the report reads, declared under `outputs:` with the type the report reads, and taken from a step
 * whose action declares the outputs the report reads of it; every declared output the report would
 * read is listed. So an output renamed in the runbook, or in the action it comes from, is refused
 * naming FILE:LINE rather than silently dropping its line from the report. Only a runbook that
 * declares none of the outputs the report reads goes without `report:`.
 */
import { isScalar, isSeq, type Node } from 'yaml';
import type { OutputSpec } from './action.js';
import { didYouMean } from './did-you-mean.js';
import { FOR_EACH_OUTPUTS, type ActionRegistry, type OutputDef, type StepDef } from './runbook-model.js';
import { outputSteps } from './declared-outputs.js';
import type { Problems } from './runbook-problems.js';
import { isReportName, REPORT_NAMES, REPORT_READS, type ReportName } from './report-reads.js';

/** The outputs of the step `id`, as its action (or a for-each) declares them. */
function stepOutputs(id: string, steps: readonly StepDef[], actions: ActionRegistry): Readonly<Record<string, OutputSpec>> | undefined {
  const step = steps.find((s) => s.id === id);
  if (!step) return undefined;
  return step.forEach ? FOR_EACH_OUTPUTS : actions.get(step.action)?.outputs;
}

/** What keeps the step `name` is taken from from giving the outputs the report reads of it. */
function stepProblems(name: ReportName, stepId: string | undefined, steps: readonly StepDef[], actions: ActionRegistry): string[] {
  const reads = Object.entries(REPORT_READS[name].step);
  if (!reads.length || stepId === undefined) return [];
  const outputs = stepOutputs(stepId, steps, actions);
  if (!outputs) return [];
  const step = steps.find((s) => s.id === stepId)!;
  const what = `step "${stepId}"${step.action ? ` (action ${step.action})` : ''}${step.from ? ` of ${step.from.file}` : ''}`;
  return reads.flatMap(([key, type]) => {
    const spec = outputs[key];
    if (!spec) return [`${name} is taken from ${what}, which has no output "${key}" (${type}) that the report reads of it`];
    return spec.type === type
      ? []
      : [`${name} is taken from ${what}, whose output "${key}" is a ${spec.type}, but the report reads a ${type}`];
  });
}

/** The names listed, each a scalar, with its node. */
function listed(node: Node, problems: Problems): { name: string; node: Node }[] {
  if (!isSeq(node)) {
    problems.at(node, 1, 'report must be a list of the declared outputs the incident report shows, by name');
    return [];
  }
  const out: { name: string; node: Node }[] = [];
  for (const item of node.items) {
    if (isScalar(item) && typeof item.value === 'string') out.push({ name: item.value, node: item });
    else problems.at(item as Node, 1, 'report: each entry is the name of a declared output');
  }
  return out;
}

/** The runbook's `report:`, checked against its declared outputs, its steps' actions and what the report reads. */
export function parseReport(
  node: Node | undefined,
  problems: Problems,
  outputs: readonly OutputDef[],
  steps: readonly StepDef[],
  actions: ActionRegistry,
): ReportName[] | undefined {
  const names: ReportName[] = [];
  const declared = outputs.map((o) => o.name);
  const from = outputSteps({ outputs: [...outputs] });
  for (const { name, node: at } of node === undefined ? [] : listed(node, problems)) {
    const line = problems.lineOf(at);
    if (!isReportName(name)) {
      problems.at(
        at,
        line,
        `report: the incident report reads no output "${name}"${didYouMean(name, REPORT_NAMES)} (it reads: ${REPORT_NAMES.join(', ')})`,
      );
      continue;
    }
    if (names.includes(name)) problems.at(at, line, `report: ${name} is listed twice`);
    names.push(name);
    const read = REPORT_READS[name];
    const output = outputs.find((o) => o.name === name);
    if (!output) {
      problems.at(
        at,
        line,
        `report: ${name} is no declared output of this runbook${didYouMean(name, declared)}: the report reads it for ${read.shows}; declare it under outputs: by that name, or drop it here`,
      );
      continue;
    }
    if (output.type !== read.type)
      problems.at(at, line, `report: ${name} is declared a ${output.type} (line ${output.line}), but the report reads a ${read.type}`);
    for (const p of stepProblems(name, from[name], steps, actions)) problems.at(at, line, `report: ${p}`);
  }
  for (const o of outputs)
    if (isReportName(o.name) && !names.includes(o.name))
      problems.at(
        undefined,
        o.line,
        `output "${o.name}" is one the incident report reads (${REPORT_READS[o.name].shows}): list it under report:, or give it another name`,
      );
  return node === undefined ? undefined : names;
}
