/**
 * What a deletion lost, in words: the writes between the newest archived WAL and the deletion, as a
 * phrase for the end of a run, a window for the report, and the archive's last moment as measured.
 */
import { roughDuration } from '../../core/duration.js';
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
