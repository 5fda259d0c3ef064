/**
 * How long, over a run's transcript: the time the run worked over all its sessions, and the user's
 * time without the database, from the deletion to the moment the instance served again.
 */
import { formatDuration, roughDuration } from '../../core/duration.js';
import type { Transcript } from './transcript-model.js';
import { behind, reported, text, texts } from './reported.js';
import { utc } from './incident-sections.js';

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
export function outage(t: Transcript): { deletedAt: string; backAt: string | null } | null {
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
export function outageWords(t: Transcript, deletedAt: string, backAt: string): string {
  if (t.mode === 'rehearsal')
    return `from its deletion at ${utc(deletedAt)} (the scenario's) until it came back at ${utc(backAt)} (this rehearsal's clock)`;
  return `${roughDuration(ms(deletedAt, backAt))}, from its deletion at ${utc(deletedAt)} until it came back at ${utc(backAt)}`;
}
