/** The closing lines of a run that is done: how long it took, where its report and transcript are, and what is left to do. */
import { commandLine } from '../../core/command-line.js';
import { formatDuration } from '../../core/duration.js';

/**
 * `outputs` are the run's step outputs by step id: a report step lists what is left in its `todo`
 * output (the data-loss window to tell the user, apps to re-push, stand-in names to rename...).
 */
export function doneLines(
  runId: string,
  elapsedMs: number,
  reportFile: string,
  outputs: Record<string, Record<string, unknown>>,
): string[] {
  const todo = Object.values(outputs).flatMap((o) => (Array.isArray(o.todo) ? o.todo.filter((t) => typeof t === 'string') : []));
  return [
    `run ${runId} is done in ${formatDuration(elapsedMs)}. Report: ${reportFile}; transcript: ${commandLine(['show', runId])}`,
    ...(todo.length ? ['What is left:', ...todo.map((t) => `  - ${t}`)] : []),
  ];
}
