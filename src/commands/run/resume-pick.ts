/**
 * `resume` without a run id: the one unfinished run, or, when there are several, the one the
 * operator chooses at a terminal. Without a terminal several are refused, listed with the line that
 * resumes each: the newest is never taken silently.
 */
import { resolve } from 'node:path';
import { commandLine } from '../../core/command-line.js';
import { oneLine } from '../../core/display.js';
import { truncate } from '../../core/screen-lines.js';
import { NeedsOperator, UsageError } from '../../core/errors.js';
import type { RunSummary } from '../../engine/run/index.js';

/** A run in one line: its id, what it recovers, where it stands. */
function described(run: RunSummary): string {
  const what = [run.service, run.org && `${run.org}/${run.space}`].filter(Boolean).join(' in ');
  return `${run.runId}  ${run.mode} ${run.runbook}${what ? ` (${what})` : ''}, ${run.steps.finished} steps done: ${truncate(oneLine(run.stands), 80)}`;
}

export async function pickRun(stateDir: string): Promise<string> {
  const { unfinishedRuns } = await import('../../engine/run/runs.js');
  const runs = unfinishedRuns(stateDir);
  if (runs.length === 0) {
    throw new UsageError(`no unfinished run in ${resolve(stateDir)}`, { hint: `list runs with \`${commandLine(['runs'])}\`` });
  }
  if (runs.length === 1) return runs[0]!.runId;
  const { TerminalPrompter, interactive } = await import('../../engine/operator/index.js');
  if (!interactive()) {
    const list = runs.map((r) => `\n  ${described(r)}`).join('');
    throw new NeedsOperator(`${runs.length} unfinished runs in ${resolve(stateDir)}, newest first:${list}`, {
      hint: `say which to continue: ${commandLine(['resume', runs[0]!.runId])} (or end one: ${commandLine(['abandon', 'RUN-ID', '--reason', 'TEXT'])})`,
    });
  }
  return new TerminalPrompter().select({
    key: 'resume',
    message: `${runs.length} runs are unfinished: which one continues?`,
    choices: runs.map((r) => ({ value: r.runId, name: described(r) })),
  });
}
