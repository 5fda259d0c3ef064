/**
 * What a run came to, the same on the operator's screen and in its report: the steps that could not
 * do all their work, how long the user was without a database, and what is left to do (with the
 * commands that remove what the run kept aside).
 */
import { commandLine, quote } from '../../core/command-line.js';
import type { Transcript, TranscriptStep } from './transcript-model.js';
import { text, texts, type Named } from './reported.js';
import { utc } from './incident-sections.js';
import { outage, outageWords } from './run-durations.js';

/** The steps that ended done, with a warning. */
export function warnedSteps(t: Transcript): TranscriptStep[] {
  return t.steps.filter((s) => s.warnings.length > 0);
}

/** A step as the operator knows it: its title, behind its item's key for a for-each item's. */
export function stepName(s: TranscriptStep): string {
  return s.item ? `[${s.item.key}] ${s.title}` : s.title;
}

/** The outage in one line for the report; none when the run is about no deleted instance. */
export function outageLines(t: Transcript): string[] {
  const o = outage(t);
  if (!o) return [];
  if (o.backAt) return [`- Without the database: ${outageWords(t, o.deletedAt, o.backAt)}`];
  const why = warnedSteps(t).length ? ': see the warnings' : t.status === 'done' ? '' : ' yet';
  return [`- Without the database since its deletion at ${utc(o.deletedAt)}: it has NOT come back${why}`];
}

/**
 * The exact commands that remove what the run moved aside, for once the user is satisfied: the run's
 * declared `quarantineUrl` and `dataAside` (on its `cellIp`, the VM `cellInstance` of `cellDeployment`),
 * then each for-each item's, as its sub-runbook declares them.
 */
function cleanups(t: Transcript): string[] {
  const lines: string[] = [];
  const places = [{ at: '', d: t.declared }, ...Object.entries(t.items).map(([id, d]) => ({ at: `[${id.split('/')[1]}] `, d }))];
  for (const { at, d } of places) {
    const out = (name: Named<'string'>): string => text(d, name);
    if (out('quarantineUrl')) {
      const endpoint = t.s3Endpoint ? ['--endpoint-url', t.s3Endpoint] : [];
      lines.push(
        `${at}once the user is satisfied, remove the quarantined archive: ${quote(['aws', 's3', 'rm', '--recursive', out('quarantineUrl'), ...endpoint])}`,
      );
    }
    if (out('dataAside')) {
      // Said as the command to run on the cell: how to reach it (ssh, bosh ssh of either era) is the operator's.
      const vm = out('cellInstance') ? ` (${out('cellInstance')} of deployment ${out('cellDeployment')})` : '';
      lines.push(
        `${at}once the user is satisfied, remove the moved-aside data: on ${out('cellIp') || 'the cell'}${vm}, ${quote(['sudo', 'rm', '-rf', '--', out('dataAside')])}`,
      );
    }
  }
  return lines;
}

/**
 * What is left, a short line each: how to finish the run when it is not done, what each warned step
 * could not do, what the runbook declares as `todo` (the data-loss window to tell the user, apps to re-push...),
 * and the commands that remove what was kept aside. The screen's last lines and the report's section both.
 */
export function whatIsLeft(t: Transcript): string[] {
  const lines: string[] = [];
  if (t.status !== 'done') {
    const failed = t.steps.filter((s) => s.status === 'failed');
    lines.push(
      `finish the run: ${commandLine(['resume', t.runId])}${failed.length ? ` (step ${failed.map((s) => s.id).join(', ')} failed: ${failed.map((s) => s.error).join('; ')})` : ''}`,
    );
  }
  for (const s of warnedSteps(t)) for (const w of s.warnings) lines.push(`${stepName(s)} could not do all its work: ${w}`);
  for (const d of [t.declared, ...Object.values(t.items)]) lines.push(...texts(d, 'todo'));
  lines.push(...cleanups(t));
  return lines;
}
