/**
 * A done run's closing words: the screen's last lines (how long it took, where its report is, what
 * is left) and the one line --notify sends (what came back and what the user lost).
 */
import { commandLine } from '../../core/command-line.js';
import { textOf } from '../../core/json.js';
import type { Transcript } from './transcript-model.js';
import { reported, text } from './reported.js';
import { lossPhrase } from './loss-window.js';
import { outage, outageWords, tookWords } from './run-durations.js';
import { stepName, warnedSteps, whatIsLeft } from './run-outcome.js';

/** A done run in words: done, or done with warnings and how many steps (`warned`) could not do all their work. */
export function doneWords(warned: number): string {
  if (!warned) return 'done';
  return warned === 1
    ? 'done with warnings (1 step could not do all its work)'
    : `done with warnings (${warned} steps could not do all their work)`;
}

/**
 * The closing lines of a run that is done, on the screen: how long it took (`sessionMs`: this
 * session's own time, the last of the run's), where its report and transcript are, and what is left
 * as the report lists it.
 */
export function doneLines(t: Transcript, sessionMs: number, reportFile: string): string[] {
  const left = whatIsLeft(t);
  return [
    `run ${t.runId} is ${doneWords(warnedSteps(t).length)} in ${tookWords(t, sessionMs)}. Report: ${reportFile}; transcript: ${commandLine(['show', t.runId])}`,
    ...(left.length ? ['What is left:', ...left.map((l) => `  - ${l}`)] : []),
  ];
}

/**
 * What a done run recovered, in one line for --notify: the instance and its service name, whether it
 * is back, and what the user lost (the data-loss window, or the moment it came back as); then what
 * could not be done.
 */
export function doneNotice(t: Transcript): string {
  const name = textOf(t.inputs.serviceName) || textOf(t.inputs.instance) || textOf(t.inputs.space) || 'the instance';
  const guid = t.subject?.instanceGuid ?? '';
  const what = `${name}${guid ? ` (${guid})` : ''}`;
  const o = outage(t);
  const restored = reported(t.declared, 'restored');
  const parts: string[] = [];
  if (o?.backAt) parts.push(`${what} is back: without it ${outageWords(t, o.deletedAt, o.backAt)}`);
  else if (o) parts.push(`${what} is NOT back`);
  if (restored === true) parts.push(`as it was at ${text(t.declared, 'time')}: what was written after that moment is not in it`);
  else if (o && restored === undefined) parts.push(`data-loss window: ${lossPhrase(o.deletedAt, text(t.declared, 'lastSegmentAt'))}`);
  const warnings = warnedSteps(t).flatMap((s) => s.warnings.map((w) => `${stepName(s)}: ${w}`));
  if (warnings.length) parts.push(`could not: ${warnings.join('; ')}`);
  return parts.join('; ');
}
