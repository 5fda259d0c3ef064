/**
 * What a run came to, the same on the operator's screen and in its report: the steps that could not
 * do all their work, how long it took over all its sessions, how long the user was without a
 * database, and what is left to do (with the commands that remove what the run kept aside).
 */
import { commandLine, quote } from '../../core/command-line.js';
import { formatDuration, roughDuration } from '../../core/duration.js';
import { textOf } from '../../core/json.js';
import type { Transcript, TranscriptStep } from './transcript-model.js';
import { behind, reported, text, texts, type Named } from './reported.js';
import { utc } from './incident-sections.js';

/** The time between the newest archived WAL and the deletion, in ms; null when either is missing or not a time. */
function lossGap(deletedAt: string, lastWalAt: string): number | null {
  if (!deletedAt || !lastWalAt) return null;
  const gap = new Date(deletedAt).getTime() - new Date(lastWalAt).getTime();
  return Number.isNaN(gap) ? null : gap;
}

/** The data-loss window in one phrase for the end of a run: how long, and from when. */
export function lossPhrase(deletedAt: string, lastWalAt: string): string {
  const gap = lossGap(deletedAt, lastWalAt);
  if (gap === null) return 'unknown (the deletion time or the newest archived WAL is not known)';
  if (gap <= 0) return 'none seen: WAL was archived up to the deletion';
  return `up to ${roughDuration(gap)}: writes after ${utc(lastWalAt)} (newest archived WAL) until the deletion at ${utc(deletedAt)}`;
}

/** What a deletion lost: the writes between the newest archived WAL and the deletion. */
export function lossWindow(deletedAt: string, lastWalAt: string): string {
  if (!deletedAt || !lastWalAt) return 'unknown: the deletion time or the newest archived WAL is not known';
  const gap = lossGap(deletedAt, lastWalAt);
  if (gap === null) return 'unknown';
  if (gap <= 0) return `none seen: WAL was archived up to ${utc(lastWalAt)}, after the deletion at ${utc(deletedAt)}`;
  return `writes between ${utc(lastWalAt)} (newest archived WAL) and ${utc(deletedAt)} (deletion), up to ${roughDuration(gap)}, were never archived and are lost`;
}

/**
 * The archive's last moment against the deletion, as measured: "writes after HH:MM:SS (N s before
 * the delete) are not in the archive", with what gives the moment.
 */
export function lastMomentPhrase(deletedAt: string, lastAt: string, source: string): string {
  const at = new Date(lastAt);
  if (!lastAt || Number.isNaN(at.getTime())) return 'unknown: the archive holds no WAL with a time';
  const gap = lossGap(deletedAt, lastAt);
  const seconds = gap === null ? 0 : Math.round(Math.abs(gap) / 1000);
  const against =
    gap === null ? 'the deletion time is not known' : gap >= 0 ? `${seconds} s before the delete` : `${seconds} s after the delete`;
  return `writes after ${at.toISOString().slice(11, 19)} (${against}) are not in the archive (${utc(lastAt)}: ${source})`;
}

/** The steps that ended done, with a warning. */
export function warnedSteps(t: Transcript): TranscriptStep[] {
  return t.steps.filter((s) => s.warnings.length > 0);
}

/** A step as the operator knows it: its title, behind its item's key for a for-each item's. */
export function stepName(s: TranscriptStep): string {
  return s.item ? `[${s.item.key}] ${s.title}` : s.title;
}

function ms(from: string, to: string): number {
  const d = new Date(to).getTime() - new Date(from).getTime();
  return Number.isNaN(d) ? 0 : Math.max(0, d);
}

/**
 * How long the run took, in words: the time it worked over all its sessions (each from its start or
 * resume to its last event; the time between sessions is not counted). `sessionMs`: this session's own
 * measure, which the screen takes for its last session.
 */
export function tookWords(t: Transcript, sessionMs?: number): string {
  const spans = t.spans.map((s) => ms(s.startedAt, s.lastEventAt));
  if (sessionMs !== undefined && spans.length) spans[spans.length - 1] = sessionMs;
  const total = spans.reduce((a, b) => a + b, 0);
  if (spans.length <= 1) return formatDuration(total);
  const last = formatDuration(spans.at(-1)!);
  return `${formatDuration(total)} in all over ${spans.length} sessions (this one ${last}; ${formatDuration(ms(t.createdAt, t.lastEventAt))} from the start to the end)`;
}

/**
 * The user's time without the database: from the deletion (the run's declared `deletedAt`) to the
 * moment the instance served again, which is when the step its `promoted` (the restored archive
 * replayed) or `loaded` (the copy's dumps loaded into it) is taken from finished, without a warning.
 * Null when the run is about no deleted instance; `backAt` is null while it is not back (or when a
 * step could not bring it back).
 */
function outage(t: Transcript): { deletedAt: string; backAt: string | null } | null {
  const deletedAt = text(t.declared, 'deletedAt');
  if (!deletedAt) return null;
  const served = reported(t.declared, 'promoted') === true ? 'promoted' : texts(t.declared, 'loaded').length > 0 ? 'loaded' : undefined;
  const back = served === undefined ? undefined : behind(t, t.declared, served);
  return { deletedAt, backAt: back?.warnings.length === 0 ? back.finishedAt : null };
}

/**
 * How long the user was without the database, from when to when. A rehearsal's deletion is its
 * scenario's and its return this machine's clock: no length is made of the two.
 */
function outageWords(t: Transcript, deletedAt: string, backAt: string): string {
  if (t.mode === 'rehearsal')
    return `from its deletion at ${utc(deletedAt)} (the scenario's) until it came back at ${utc(backAt)} (this rehearsal's clock)`;
  return `${roughDuration(ms(deletedAt, backAt))}, from its deletion at ${utc(deletedAt)} until it came back at ${utc(backAt)}`;
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
